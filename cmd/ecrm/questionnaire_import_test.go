package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// TestImportQuestionnaireCommand: the FHIR specification's example f201
// imports, again changes nothing, and a malformed file is refused with the
// item named and nothing written.
func TestImportQuestionnaireCommand(t *testing.T) {
	env := map[string]string{"DATABASE_URL": pgtest.NewURL(t)}
	example := filepath.Join("..", "..", "insurance", "testdata", "fhir-r4-questionnaire-example-f201-lifelines.json")
	out, err := runCommand(t, env, "import", "questionnaire", example)
	if err != nil || !strings.HasPrefix(out, "questionnaire http://hl7.org/fhir/Questionnaire/f201 version 1: imported (id 1)") {
		t.Errorf("import = %q, %v", out, err)
	}
	if out, err := runCommand(t, env, "import", "questionnaire", example); err != nil || !strings.Contains(out, "already imported, unchanged (id 1)") {
		t.Errorf("again = %q, %v", out, err)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"resourceType": "Questionnaire", "url": "x:bad", "item": [
		{"linkId": "a", "type": "boolean", "enableWhen": [{"question": "zz", "operator": "exists", "answerBoolean": true}]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = runCommand(t, env, "import", "questionnaire", bad)
	if err == nil || !strings.Contains(err.Error(), "refused, nothing was written (problems: 1)") ||
		!strings.Contains(out, `item a: enableWhen.question: names "zz", which is not an item of this questionnaire`) {
		t.Errorf("malformed = %q, %v", out, err)
	}
}
