package main

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/providers"
)

// modelFlags are the model settings of generate and serve. Each comes, in
// order of precedence, from its flag, its AIDEN_* variable, the config
// file, the provider's conventional variable (OPENAI_API_KEY,
// OPENAI_BASE_URL, ANTHROPIC_API_KEY), and the default.
type modelFlags struct {
	config       string
	provider     string
	baseURL      string
	model        string
	temperature  float64
	maxTokens    int
	timeout      time.Duration
	repairRounds int
	concurrency  int
	allowed      []string
	structured   string
}

// modelFile is the config file's model section.
type modelFile struct {
	Model struct {
		Provider     string   `json:"provider"`
		BaseURL      string   `json:"baseURL"`
		Name         string   `json:"name"`
		APIKey       string   `json:"apiKey"`
		APIVersion   string   `json:"apiVersion"`
		Temperature  *float64 `json:"temperature"`
		MaxTokens    int      `json:"maxTokens"`
		Timeout      string   `json:"timeout"`
		RepairRounds *int     `json:"repairRounds"`
		Concurrency  int      `json:"concurrency"`
		Allowed      []string `json:"allowed"`
		Structured   *bool    `json:"structured"`
	} `json:"model"`
	// Slack configures the chat door of aiden serve.
	Slack struct {
		SigningSecret string `json:"signingSecret"`
		// Users maps Slack user ids ("U123" or "T1/U123") to subjects.
		Users map[string]string `json:"users"`
	} `json:"slack"`
}

func addModelFlags(fs *pflag.FlagSet, f *modelFlags, serve bool) {
	fs.StringVar(&f.config, "config", "", "config file (default $AIDEN_CONFIG, else aiden/config.yaml in the user config folder when present)")
	fs.StringVar(&f.provider, "provider", "", "model provider: openai (also any OpenAI-compatible server), azure or anthropic ($AIDEN_PROVIDER)")
	fs.StringVar(&f.baseURL, "base-url", "", "model API base URL, e.g. http://localhost:11434/v1 for Ollama ($AIDEN_BASE_URL, $OPENAI_BASE_URL)")
	fs.StringVar(&f.model, "model", "", "model name; with none configured the built-in planner writes the files ($AIDEN_MODEL)")
	fs.Float64Var(&f.temperature, "temperature", 0.2, "sampling temperature ($AIDEN_TEMPERATURE)")
	fs.IntVar(&f.maxTokens, "max-tokens", 8192, "most tokens per answer ($AIDEN_MAX_TOKENS)")
	fs.DurationVar(&f.timeout, "model-timeout", 3*time.Minute, "time limit of one model call ($AIDEN_MODEL_TIMEOUT)")
	fs.IntVar(&f.repairRounds, "repair-rounds", 2, "repair requests after the first answer, 0 for none ($AIDEN_REPAIR_ROUNDS)")
	fs.StringVar(&f.structured, "structured-output", "auto", "ask for JSON-schema structured output: auto (OpenAI and Azure), true or false ($AIDEN_STRUCTURED_OUTPUT)")
	if serve {
		fs.IntVar(&f.concurrency, "model-concurrency", 4, "model calls in flight at once ($AIDEN_MODEL_CONCURRENCY)")
		fs.StringSliceVar(&f.allowed, "allowed-models", nil, "models a request may name besides --model ($AIDEN_ALLOWED_MODELS, comma-separated)")
	}
}

// modelSetup is the resolved model configuration.
type modelSetup struct {
	opts     generator.ModelOptions
	provider providers.Config
	// slackSecret is the config file's Slack signing secret, used when
	// neither SLACK_SIGNING_SECRET nor a secret file is given.
	slackSecret string
	// slackUsers maps Slack users to subjects (the config file's
	// slack.users).
	slackUsers map[string]string
}

// describe says in a few words which model answers, for logs and progress.
func (s modelSetup) describe() string {
	if s.opts.Provider == nil {
		return "built-in planner (no model configured)"
	}
	where := s.provider.BaseURL
	if where == "" {
		where = "the provider's default endpoint"
	}
	return fmt.Sprintf("%s model %s at %s", s.provider.Provider, s.opts.Name, where)
}

// resolve reads flags, environment and config file into model options.
// With no model named anywhere it returns options without a provider: the
// built-in planner answers.
func (f *modelFlags) resolve(fs *pflag.FlagSet, getenv func(string) string) (modelSetup, error) {
	file, err := readModelFile(f.config, getenv)
	if err != nil {
		return modelSetup{}, err
	}
	src := settings{fs: fs, getenv: getenv}
	s := modelSetup{slackSecret: file.Slack.SigningSecret, slackUsers: file.Slack.Users}
	fm := file.Model
	name := src.str("model", f.model, "AIDEN_MODEL", fm.Name)
	provider := strings.ToLower(src.str("provider", f.provider, "AIDEN_PROVIDER", fm.Provider))
	baseURL := src.str("base-url", f.baseURL, "AIDEN_BASE_URL", fm.BaseURL)
	if name == "" {
		if provider != "" {
			return modelSetup{}, usageErr("a model provider (%s) is configured but no model: name one with --model or AIDEN_MODEL", provider)
		}
		return s, nil // nothing configured: the built-in planner
	}
	s.provider = providerConfig(provider, baseURL, getenv, file)
	model, err := providers.New(s.provider)
	if err != nil {
		return modelSetup{}, usageErr("model provider: %w", err)
	}
	s.opts = generator.ModelOptions{Provider: model, Name: name}
	if err := f.tune(&s.opts, src, file); err != nil {
		return modelSetup{}, err
	}
	if err := f.structuredOutput(&s.opts, src, file, s.provider); err != nil {
		return modelSetup{}, err
	}
	return s, nil
}

// readModelFile reads the config file: --config, else $AIDEN_CONFIG, else
// aiden/config.yaml in the user config folder when it exists.
func readModelFile(flagPath string, getenv func(string) string) (modelFile, error) {
	var file modelFile
	path := cmp.Or(flagPath, getenv("AIDEN_CONFIG"))
	explicit := path != ""
	if path == "" {
		if dir, err := os.UserConfigDir(); err == nil {
			path = filepath.Join(dir, "aiden", "config.yaml")
		}
	}
	if path == "" {
		return file, nil
	}
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := yaml.UnmarshalStrict(b, &file); err != nil {
			return modelFile{}, usageErr("config file %s: %w", path, err)
		}
	case explicit || !os.IsNotExist(err):
		return modelFile{}, usageErr("config file: %w", err)
	}
	return file, nil
}

// settings looks a setting up in its flag (when set), then its AIDEN_*
// variable, then the config file.
type settings struct {
	fs     *pflag.FlagSet
	getenv func(string) string
}

// changed reports whether the flag name exists and was given.
func (s settings) changed(name string) bool { return s.fs.Lookup(name) != nil && s.fs.Changed(name) }

func (s settings) str(name, flagValue, env, fileValue string) string {
	if s.changed(name) {
		return flagValue
	}
	return cmp.Or(s.getenv(env), fileValue)
}

// providerConfig names the provider (OpenAI unless only an Anthropic key
// is set) and fills its endpoint and key from the provider's conventional
// variables where aiden's own are unset.
func providerConfig(provider, baseURL string, getenv func(string) string, file modelFile) providers.Config {
	if provider == "" {
		provider = providers.OpenAI
		if baseURL == "" && getenv("OPENAI_API_KEY") == "" && getenv("ANTHROPIC_API_KEY") != "" {
			provider = providers.Anthropic
		}
	}
	apiKey := cmp.Or(getenv("AIDEN_API_KEY"), file.Model.APIKey)
	switch provider {
	case providers.OpenAI:
		baseURL = cmp.Or(baseURL, getenv("OPENAI_BASE_URL"))
		apiKey = cmp.Or(apiKey, getenv("OPENAI_API_KEY"))
	case providers.Azure:
		baseURL = cmp.Or(baseURL, getenv("AZURE_OPENAI_ENDPOINT"))
		apiKey = cmp.Or(apiKey, getenv("AZURE_OPENAI_API_KEY"), getenv("OPENAI_API_KEY"))
	case providers.Anthropic:
		baseURL = cmp.Or(baseURL, getenv("ANTHROPIC_BASE_URL"))
		apiKey = cmp.Or(apiKey, getenv("ANTHROPIC_API_KEY"))
	}
	return providers.Config{Provider: provider, BaseURL: baseURL, APIKey: apiKey,
		APIVersion: cmp.Or(getenv("AIDEN_API_VERSION"), file.Model.APIVersion)}
}

// tune fills the sampling and call settings: temperature, tokens, repair
// rounds, concurrency, timeout and the models a request may name.
func (f *modelFlags) tune(o *generator.ModelOptions, src settings, file modelFile) error {
	fm, getenv := file.Model, src.getenv
	var err error
	temp := f.temperature
	switch {
	case src.changed("temperature"):
	case getenv("AIDEN_TEMPERATURE") != "":
		if temp, err = strconv.ParseFloat(getenv("AIDEN_TEMPERATURE"), 64); err != nil {
			return usageErr("AIDEN_TEMPERATURE: %w", err)
		}
	case fm.Temperature != nil:
		temp = *fm.Temperature
	}
	o.Temperature = &temp
	if o.MaxTokens, err = intSetting(src.changed("max-tokens"), f.maxTokens, getenv("AIDEN_MAX_TOKENS"), fm.MaxTokens); err != nil {
		return usageErr("AIDEN_MAX_TOKENS: %w", err)
	}
	rounds := f.repairRounds
	if fm.RepairRounds != nil {
		rounds = *fm.RepairRounds
	}
	if o.RepairRounds, err = intSetting(src.changed("repair-rounds"), f.repairRounds, getenv("AIDEN_REPAIR_ROUNDS"), rounds); err != nil {
		return usageErr("AIDEN_REPAIR_ROUNDS: %w", err)
	}
	if o.RepairRounds == 0 {
		o.RepairRounds = -1 // the engine reads 0 as its default
	}
	if o.Concurrency, err = intSetting(src.changed("model-concurrency"), f.concurrency, getenv("AIDEN_MODEL_CONCURRENCY"), fm.Concurrency); err != nil {
		return usageErr("AIDEN_MODEL_CONCURRENCY: %w", err)
	}
	o.Timeout = f.timeout
	if !src.changed("model-timeout") {
		if t := cmp.Or(getenv("AIDEN_MODEL_TIMEOUT"), fm.Timeout); t != "" {
			if o.Timeout, err = time.ParseDuration(t); err != nil {
				return usageErr("model timeout: %w", err)
			}
		}
	}
	o.Allowed = f.allowed
	if !src.changed("allowed-models") {
		if v := getenv("AIDEN_ALLOWED_MODELS"); v != "" {
			o.Allowed = strings.Split(v, ",")
		} else {
			o.Allowed = fm.Allowed
		}
	}
	return nil
}

// structuredOutput decides whether to ask for JSON-schema structured
// output: auto asks the providers that support it.
func (f *modelFlags) structuredOutput(o *generator.ModelOptions, src settings, file modelFile, provider providers.Config) error {
	structured := src.str("structured-output", f.structured, "AIDEN_STRUCTURED_OUTPUT", "")
	switch {
	case structured == "" && file.Model.Structured != nil:
		o.Structured = *file.Model.Structured
	case structured == "" || structured == "auto":
		o.Structured = providers.Structured(provider)
	default:
		var err error
		if o.Structured, err = strconv.ParseBool(structured); err != nil {
			return usageErr("--structured-output %q: want auto, true or false", structured)
		}
	}
	return nil
}

func intSetting(flagSet bool, flagValue int, env string, fileValue int) (int, error) {
	switch {
	case flagSet:
		return flagValue, nil
	case env != "":
		return strconv.Atoi(env)
	case fileValue != 0:
		return fileValue, nil
	}
	return flagValue, nil
}

// typing shows a model's answer arriving, as a counter rewritten in place
// on a terminal; elsewhere the stage lines say enough.
type typing struct {
	w       io.Writer
	tty     bool
	attempt int
	n       int
	shown   time.Time
}

func newTyping(w io.Writer) *typing {
	f, ok := w.(*os.File)
	tty := false
	if ok {
		if fi, err := f.Stat(); err == nil {
			tty = fi.Mode()&os.ModeCharDevice != 0
		}
	}
	return &typing{w: w, tty: tty}
}

// delta counts text as it arrives.
func (t *typing) delta(attempt int, d string) {
	if attempt != t.attempt {
		t.attempt, t.n = attempt, 0
	}
	t.n += len(d)
	if t.tty && time.Since(t.shown) > 150*time.Millisecond {
		t.shown = time.Now()
		fmt.Fprintf(t.w, "\r  %-9s attempt %d: %d bytes received...", "model", attempt, t.n)
	}
}

// clear removes the counter before a stage line is printed.
func (t *typing) clear() {
	if t.tty && !t.shown.IsZero() {
		fmt.Fprint(t.w, "\r\033[K")
		t.shown = time.Time{}
	}
}

// printModel adds what the model cost to the summary.
func printModel(w io.Writer, p generator.Provenance) {
	if p.Generator != "model" {
		return
	}
	cached := ""
	if p.Cached {
		cached = " (answered from the cache; no model call)"
	}
	fmt.Fprintf(w, "Model:        %s, attempts: %d, kept: %d, %d prompt + %d completion tokens%s\n",
		p.Model, len(p.Attempts), p.Chosen, p.Usage.InputTokens, p.Usage.OutputTokens, cached)
	for _, a := range p.Attempts {
		line := fmt.Sprintf("%d errors", a.Errors)
		if a.Problem != "" {
			line = "unusable: " + a.Problem
		}
		fmt.Fprintf(w, "  attempt %d: %s (%d + %d tokens)\n", a.Number, line, a.Usage.InputTokens, a.Usage.OutputTokens)
	}
	if len(p.Examples) > 0 {
		fmt.Fprintf(w, "Examples:     %s (about %d tokens)\n", strings.Join(p.Examples, ", "), p.ExampleTokens)
	}
	if p.Redacted > 0 {
		fmt.Fprintf(w, "Redacted:     %d secrets removed from what was sent to the model\n", p.Redacted)
	}
}
