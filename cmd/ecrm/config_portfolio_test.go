package main

import (
	"strings"
	"testing"
	"time"
)

// TestPortfolioConfig: the firm's base currency (default RON) must be one
// ecrm knows; the maximum age of prices (default 4 days) at least a day.
func TestPortfolioConfig(t *testing.T) {
	cfg, err := loadConfig(envFrom(map[string]string{}))
	if err != nil || cfg.BaseCurrency != "RON" || cfg.PriceMaxAge != 96*time.Hour {
		t.Fatalf("defaults: %q %s, %v", cfg.BaseCurrency, cfg.PriceMaxAge, err)
	}
	cfg, err = loadConfig(envFrom(map[string]string{"ECRM_BASE_CURRENCY": "eur", "ECRM_PRICE_MAX_AGE": "72h"}))
	if err != nil || cfg.BaseCurrency != "EUR" || cfg.PriceMaxAge != 72*time.Hour {
		t.Errorf("EUR, 72h: %q %s, %v", cfg.BaseCurrency, cfg.PriceMaxAge, err)
	}
	for env, want := range map[string]string{
		"ECRM_BASE_CURRENCY": `ECRM_BASE_CURRENCY="XYZ" is not a currency ecrm knows`,
		"ECRM_PRICE_MAX_AGE": `ECRM_PRICE_MAX_AGE=1h0m0s must be between 24h and 2160h`,
	} {
		value := map[string]string{"ECRM_BASE_CURRENCY": "XYZ", "ECRM_PRICE_MAX_AGE": "1h"}[env]
		if _, err := loadConfig(envFrom(map[string]string{env: value})); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s=%s: %v, want %q", env, value, err, want)
		}
	}
}
