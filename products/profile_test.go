package products

import "testing"

func TestCreditScore(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    CreditHistory
		want int
	}{
		{"ThinFile", CreditHistory{}, 650},
		{"LineWithoutPayments", CreditHistory{Lines: 1}, 680},
		{"TwoYearsOnTime", CreditHistory{Lines: 1, OnTime: 24}, 752},
		{"OnTimeBonusCapped", CreditHistory{Lines: 3, OnTime: 72}, 800},
		{"SomeLatePayments", CreditHistory{Lines: 1, OnTime: 10, Late30: 2, Late60: 1}, 625},
		{"Arrears", CreditHistory{Lines: 1, OnTime: 10, Late90Plus: 1, Defaulted: 1}, 470},
		{"WrittenOffFloor", CreditHistory{Lines: 2, Defaulted: 3, BadLines: 2}, 300},
	} {
		if got := CreditScore(tc.h); got != tc.want {
			t.Errorf("%s: CreditScore(%+v) = %d, want %d", tc.name, tc.h, got, tc.want)
		}
	}
}
