package insurance

import (
	"context"
	"testing"
)

// BenchmarkPoliciesList: Ana's policies page's data (three policies, six
// instalments with their payments): two queries.
func BenchmarkPoliciesList(b *testing.B) {
	pool := policyFixture(b)
	s := fixturePolicies(pool)
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.List(ctx, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPolicyDetail: one policy with its schedule, payments, answers
// and renewal history: three queries.
func BenchmarkPolicyDetail(b *testing.B) {
	pool := policyFixture(b)
	s := fixturePolicies(pool)
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.Get(ctx, 1, 102); err != nil {
			b.Fatal(err)
		}
	}
}
