package insurance

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ecrm-project/ecrm/internal/pgtest"
)

func TestImportQuestionnaire(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	s := NewStore(pool)
	count := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM questionnaires`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	res, err := s.Import(ctx, []byte(travelFHIR), 0)
	if err != nil || !res.Created || res.URL != "https://ecrm.example/fhir/Questionnaire/travel" || res.Version != "1" ||
		len(res.Unsupported) != 2 || len(res.Problems) != 0 {
		t.Fatalf("first import: %+v, %v", res, err)
	}
	again, err := s.Import(ctx, []byte(travelFHIR), 0)
	if err != nil || again.Created || again.ID != res.ID || count() != 1 {
		t.Errorf("the same file again: %+v, %v; %d rows", again, err, count())
	}
	changed := strings.Replace(travelFHIR, `"Where to?"`, `"Where are you going?"`, 1)
	if _, err := s.Import(ctx, []byte(changed), 0); !errors.Is(err, ErrVersionTaken) {
		t.Errorf("a changed definition under the same version: %v, want %v", err, ErrVersionTaken)
	}
	v2, err := s.Import(ctx, []byte(strings.Replace(changed, `"version": "1"`, `"version": "2"`, 1)), 0)
	if err != nil || !v2.Created || v2.Version != "2" || count() != 2 {
		t.Errorf("the changed definition as version 2: %+v, %v", v2, err)
	}
	bad, err := s.Import(ctx, []byte(`{"resourceType": "Questionnaire", "url": "x:y", "item": [{"linkId": "a", "type": "choice"}]}`), 0)
	if err != nil || bad.Created || len(bad.Problems) != 1 || bad.Problems[0].LinkID != "a" || count() != 2 {
		t.Errorf("a choice without options: %+v, %v; %d rows", bad, err, count())
	}
	var status string
	if err := pool.QueryRow(ctx, `SELECT status FROM questionnaires WHERE id = $1`, res.ID).Scan(&status); err != nil || status != "active" {
		t.Errorf("status %q, %v", status, err)
	}
}
