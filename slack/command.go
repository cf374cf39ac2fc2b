package slack

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/generator/planner"
	"github.com/stackgen/aiden/workspace"
)

// Command is a parsed /aiden command.
type Command struct {
	// Name is generate, status or help.
	Name string
	// Intent, Format, Environment, Path and Mode are generate's.
	Intent      string
	Format      generator.Format
	Environment string
	Path        string
	// Mode is empty (auto: a folder that holds an app is changed) or
	// ModeReplace with --replace.
	Mode generator.Mode
	// ID is status's.
	ID string
}

// Usage is the help text, in Slack's mrkdwn.
const Usage = "*aiden* turns a sentence of infrastructure intent into validated files for the GitOps repository.\n" +
	"• `/aiden generate <intent> [--format helm|kustomize|terraform] [--env ENV] [--path FOLDER] [--replace]` — generate, check, and get a patch; on a folder that holds an app, the intent changes it, and `--replace` regenerates it (files changed by hand are refused, files aiden did not write are left alone)\n" +
	"• `/aiden status <id>` — where a generation stands\n" +
	"• `/aiden help` — this message\n" +
	"Example: `/aiden generate Deploy a Redis cluster with 3 replicas, persistent storage, and automatic failover in production --path clusters/production/apps/redis`"

// ErrUsage marks a command that cannot be understood; its message says why
// in words for the user.
var ErrUsage = errors.New("usage")

func usagef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, args...))
}

// Parse reads the text after /aiden. Flags may stand anywhere after
// generate, as --flag value or --flag=value; the other words are the intent.
func Parse(text string) (Command, error) {
	words := strings.Fields(unescape(text))
	if len(words) == 0 {
		return Command{Name: "help"}, nil
	}
	name, args := strings.ToLower(words[0]), words[1:]
	switch name {
	case "help", "-h", "--help":
		return Command{Name: "help"}, nil
	case "status":
		if len(args) != 1 {
			return Command{}, usagef("`/aiden status` takes one generation id, for example `/aiden status gen_5f2c9a1b7d3e4f60`")
		}
		return Command{Name: "status", ID: args[0]}, nil
	case "generate":
		return parseGenerate(args)
	}
	return Command{}, usagef("unknown command `%s`: try `/aiden generate <intent>`, `/aiden status <id>` or `/aiden help`", words[0])
}

func parseGenerate(args []string) (Command, error) {
	c := Command{Name: "generate"}
	var intent []string
	for i := 0; i < len(args); i++ {
		w := dashes(args[i])
		if !strings.HasPrefix(w, "--") {
			intent = append(intent, args[i])
			continue
		}
		flag, value, hasValue := strings.Cut(w[2:], "=")
		switch flag {
		case "format", "env", "path":
		case "replace":
			if hasValue {
				return Command{}, usagef("flag `--replace` takes no value")
			}
			c.Mode = generator.ModeReplace
			continue
		default:
			return Command{}, usagef("unknown flag `--%s`: `/aiden generate` takes --format, --env, --path and --replace", flag)
		}
		if !hasValue {
			if i+1 >= len(args) || strings.HasPrefix(dashes(args[i+1]), "--") {
				return Command{}, usagef("flag `--%s` needs a value", flag)
			}
			i++
			value = args[i]
		}
		switch flag {
		case "format":
			f, err := generator.ParseFormat(value)
			if err != nil {
				return Command{}, usagef("--format: %s is not a format (want helm, kustomize or terraform)", value)
			}
			c.Format = f
		case "env":
			c.Environment = value
		case "path":
			p, err := workspace.Clean(value)
			if err != nil || p == "." {
				return Command{}, usagef("--path %s: name a folder inside the repository, for example clusters/production/apps/redis", value)
			}
			c.Path = p
		}
	}
	c.Intent = strings.Join(intent, " ")
	if c.Intent == "" {
		return Command{}, usagef("say what to deploy: `/aiden generate Deploy a Redis cluster with 3 replicas in production`")
	}
	if c.Format == "" {
		c.Format = generator.FormatHelm
	}
	if c.Path == "" {
		p, err := defaultPath(c.Intent, c.Environment, c.Format)
		if err != nil {
			return Command{}, err
		}
		c.Path = p
	}
	return c, nil
}

// defaultPath names the folder for an intent given without --path:
// clusters/<env>/apps/<app> when an environment is known, else apps/<app>.
func defaultPath(intent, env string, format generator.Format) (string, error) {
	missing := usagef("add `--path FOLDER` to say where the files go, for example `--path clusters/production/apps/redis`")
	plan, err := planner.Parse(intent, planner.Hints{Environment: env, Format: string(format)})
	if err != nil || plan.App == "" {
		return "", missing
	}
	p := "apps/" + plan.App
	if plan.Environment != "" {
		p = "clusters/" + plan.Environment + "/" + p
	}
	if p, err = workspace.Clean(p); err != nil {
		return "", missing
	}
	return p, nil
}

// dashes undoes the typographer: Slack clients turn "--" into an em or en
// dash as people type.
func dashes(w string) string {
	for _, d := range []string{"—", "–"} {
		if rest, ok := strings.CutPrefix(w, d); ok {
			return "--" + rest
		}
	}
	return w
}

// unescape undoes the three escapes Slack applies to command text.
func unescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}
