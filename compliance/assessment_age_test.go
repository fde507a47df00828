package compliance

import (
	"testing"

	"github.com/ecrm-project/ecrm/products"
)

// TestMatchingAndGateAgreeOnAssessmentAge: matching (below the gate)
// treats an assessment as in force for as long as the gate does.
func TestMatchingAndGateAgreeOnAssessmentAge(t *testing.T) {
	if products.AssessmentMaxAgeMonths != assessmentMaxAge {
		t.Errorf("products.AssessmentMaxAgeMonths %d, compliance assessmentMaxAge %d", products.AssessmentMaxAgeMonths, assessmentMaxAge)
	}
}
