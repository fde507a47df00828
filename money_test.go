package ecrm_test

import (
	"encoding/json"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

func TestMoneyJSONKeepsMinorUnitsAndExactness(t *testing.T) {
	tests := []struct {
		m    ecrm.Money
		want string
	}{
		{ecrm.MustMoney("123.4", "EUR"), `{"amount":"123.40","currency":"EUR"}`},
		{ecrm.MustMoney("-0.5", "RON"), `{"amount":"-0.50","currency":"RON"}`},
		{ecrm.MustMoney("1000", "JPY"), `{"amount":"1000","currency":"JPY"}`},
		{ecrm.Money{Amount: decimal.RequireFromString("12.345678"), Currency: "USD"}, `{"amount":"12.345678","currency":"USD"}`},
		{ecrm.MustMoney("12345678901234567.89", "EUR"), `{"amount":"12345678901234567.89","currency":"EUR"}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.m)
		if err != nil || string(b) != tt.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tt.m, b, err, tt.want)
		}
		var back ecrm.Money
		if err := json.Unmarshal(b, &back); err != nil || !back.Amount.Equal(tt.m.Amount) || back.Currency != tt.m.Currency {
			t.Errorf("round trip of %s = %v, %v", b, back, err)
		}
	}
}

func TestNewMoneyRejectsBadInput(t *testing.T) {
	tests := []struct{ amount, currency, want string }{
		{"1.234", "EUR", "EUR has at most 2 decimal places"},
		{"1.5", "JPY", "JPY has at most 0 decimal places"},
		{"1", "eur", `currency "eur" is not an ISO 4217 code`},
		{"1", "XYZ", `currency "XYZ" is not supported`},
	}
	for _, tt := range tests {
		_, err := ecrm.NewMoney(decimal.RequireFromString(tt.amount), tt.currency)
		if ecrm.ErrorMessage(err) != tt.want {
			t.Errorf("NewMoney(%s, %s) = %v, want %q", tt.amount, tt.currency, err, tt.want)
		}
	}
	if m, err := ecrm.NewMoney(decimal.RequireFromString("1.230"), "EUR"); err != nil || m.String() != "1.23 EUR" {
		t.Errorf("trailing zero beyond minor units must be accepted: %v %v", m, err)
	}
}

func TestMoneyArithmeticChecksCurrency(t *testing.T) {
	a, b := ecrm.MustMoney("0.10", "EUR"), ecrm.MustMoney("0.20", "EUR")
	sum, err := a.Add(b)
	if err != nil || sum.String() != "0.30 EUR" {
		t.Fatalf("0.10 + 0.20 = %v, %v", sum, err)
	}
	if _, err := a.Add(ecrm.MustMoney("1", "RON")); err == nil {
		t.Fatal("adding RON to EUR succeeded")
	}
	if got := (ecrm.Money{Amount: decimal.RequireFromString("2.345"), Currency: "USD"}); got.Round().String() != "2.35 USD" {
		t.Fatalf("Round(2.345) = %v, want half away from zero", got.Round())
	}
}
