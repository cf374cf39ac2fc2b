package genconfig

import (
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Review is the review: section, read by aiden review: the unit prices
// its monthly cost estimate uses and the budgets an estimate may not
// exceed.
type Review struct {
	// Prices are the unit prices; a price the config does not set takes
	// its default (DefaultPrices).
	Prices Prices
	// Budgets are monthly limits per environment folder or app; an
	// estimate above one is a finding.
	Budgets []Budget
}

// Prices are monthly unit prices of requested capacity.
type Prices struct {
	// CPU is the price of one requested CPU core for a month.
	CPU float64 `json:"cpu"`
	// Memory is the price of one requested GiB of memory for a month.
	Memory float64 `json:"memory"`
	// Storage is the price of one requested GiB of persistent storage
	// for a month.
	Storage float64 `json:"storage"`
	// Currency is the symbol or code shown with amounts ("$", "EUR").
	Currency string `json:"currency"`
}

// DefaultPrices are the prices used when the config sets none: roughly
// the on-demand list price of general-purpose cloud capacity (a vCPU and
// 4 GiB at about $0.04 an hour together; block storage at $0.10 a
// GiB-month). They make relative changes visible; set your own.
var DefaultPrices = Prices{CPU: 23, Memory: 3, Storage: 0.10, Currency: "$"}

// Budget is a monthly limit on the estimated cost of an environment
// folder (clusters/production) or of one app in it.
type Budget struct {
	// Environment is the environment folder, as aiden review names it
	// (clusters/production); empty means every environment.
	Environment string
	// App is the app (its app.kubernetes.io/name or app label, else the
	// workload's name); empty means the whole environment.
	App string
	// Monthly is the limit, in the prices' currency.
	Monthly float64
	// Line is the line of the budget in the config, for findings.
	Line int
}

// ReviewPrices returns the prices with defaults filled in.
func (c *Config) ReviewPrices() Prices {
	p := c.Review.Prices
	if p.CPU == 0 {
		p.CPU = DefaultPrices.CPU
	}
	if p.Memory == 0 {
		p.Memory = DefaultPrices.Memory
	}
	if p.Storage == 0 {
		p.Storage = DefaultPrices.Storage
	}
	if p.Currency == "" {
		p.Currency = DefaultPrices.Currency
	}
	return p
}

func (p *parser) review(v *yaml.Node, cfg *Config) {
	p.mapping(v, "review", []string{"prices", "budgets"}, func(key string, _, v *yaml.Node) {
		switch key {
		case "prices":
			p.mapping(v, "review.prices", []string{"cpu", "memory", "storage", "currency"}, func(key string, _, v *yaml.Node) {
				full := "review.prices." + key
				if key == "currency" {
					cfg.Review.Prices.Currency, _ = p.str(v, full)
					return
				}
				n, _ := p.amount(v, full)
				switch key {
				case "cpu":
					cfg.Review.Prices.CPU = n
				case "memory":
					cfg.Review.Prices.Memory = n
				case "storage":
					cfg.Review.Prices.Storage = n
				}
			})
		case "budgets":
			if v.Kind != yaml.SequenceNode {
				p.errorf(v, "review.budgets", "must be a list of {environment, app, monthly}, not %s", kindName(v))
				return
			}
			for i, item := range v.Content {
				prefix := "review.budgets[" + strconv.Itoa(i) + "]"
				b := Budget{Line: item.Line}
				set := false
				p.mapping(item, prefix, []string{"environment", "app", "monthly"}, func(key string, _, v *yaml.Node) {
					switch key {
					case "environment":
						b.Environment, _ = p.str(v, prefix+".environment")
					case "app":
						b.App, _ = p.str(v, prefix+".app")
					case "monthly":
						b.Monthly, set = p.amount(v, prefix+".monthly")
					}
				})
				if item.Kind == yaml.MappingNode && !set {
					p.errorf(item, prefix, "a budget needs monthly: the most its estimate may cost a month")
				}
				cfg.Review.Budgets = append(cfg.Review.Budgets, b)
			}
		}
	})
}

// amount reads a non-negative number.
func (p *parser) amount(v *yaml.Node, key string) (float64, bool) {
	if v.Kind == yaml.ScalarNode && (v.Tag == "!!int" || v.Tag == "!!float") {
		if n, err := strconv.ParseFloat(v.Value, 64); err == nil && n >= 0 {
			return n, true
		}
	}
	p.errorf(v, key, "must be a number of at least 0, not %s", describe(v))
	return 0, false
}
