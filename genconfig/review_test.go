package genconfig

import (
	"errors"
	"testing"
)

// The review: section sets prices, the rest keeping their defaults, and
// budgets with their lines.
func TestParseReview(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(`version: 1
review:
  prices: {cpu: 30, currency: EUR}
  budgets:
    - environment: clusters/production
      monthly: 500
    - environment: clusters/production
      app: redis
      monthly: 120.5
`))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.ReviewPrices()
	if p.CPU != 30 || p.Memory != DefaultPrices.Memory || p.Storage != DefaultPrices.Storage || p.Currency != "EUR" {
		t.Errorf("prices = %+v", p)
	}
	want := []Budget{{Environment: "clusters/production", Monthly: 500, Line: 5}, {Environment: "clusters/production", App: "redis", Monthly: 120.5, Line: 7}}
	if len(cfg.Review.Budgets) != 2 || cfg.Review.Budgets[0] != want[0] || cfg.Review.Budgets[1] != want[1] {
		t.Errorf("budgets = %+v, want %+v", cfg.Review.Budgets, want)
	}
	if empty, err := Parse("c.yaml", []byte("version: 1\n")); err != nil || empty.ReviewPrices() != DefaultPrices {
		t.Errorf("no review section: prices %+v, %v; want the defaults", empty.ReviewPrices(), err)
	}
}

func TestBrokenReview(t *testing.T) {
	for _, tc := range []struct{ name, config, want string }{
		{"negative price", "review:\n  prices: {cpu: -1}\n", `c.yaml:2:17: review.prices.cpu: must be a number of at least 0, not "-1"`},
		{"price a word", "review:\n  prices: {memory: cheap}\n", `c.yaml:2:20: review.prices.memory: must be a number of at least 0, not "cheap"`},
		{"unknown price", "review:\n  prices: {gpu: 1}\n", `c.yaml:2:12: review.prices.gpu: unknown key (did you mean "cpu"?)`},
		{"budgets a mapping", "review:\n  budgets: {production: 5}\n", `c.yaml:2:12: review.budgets: must be a list of {environment, app, monthly}, not a mapping`},
		{"budget without monthly", "review:\n  budgets:\n    - environment: clusters/production\n", `c.yaml:3:7: review.budgets[0]: a budget needs monthly: the most its estimate may cost a month`},
		{"review typo", "review:\n  budget: []\n", `c.yaml:2:3: review.budget: unknown key (did you mean "budgets"?)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tc.config))
			var errs Errors
			if !errors.As(err, &errs) || len(errs) != 1 {
				t.Fatalf("got %v, want one Error", err)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
