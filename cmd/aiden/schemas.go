package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/stackgen/aiden/action"
	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/validators/schema"
)

func newSchemasCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schemas",
		Short: "List the schemas shipped inside aiden and where a kind's schema comes from",
		Long: `The schemas aiden validates objects against ship inside the binary: the
Kubernetes release's built-in kinds and a catalogue of CRD schemas generated
from the CRD manifests projects released (cert-manager, Gateway API, Flux,
Argo CD, ...), each at a pinned version with its source and licence
(docs/crds.md). A repository's own CustomResourceDefinitions come before the
catalogue when aiden validate meets them.`,
		Args: argsUsage(cobra.NoArgs),
	}
	var asJSON, kinds bool
	list := &cobra.Command{
		Use:     "list",
		Short:   "List the shipped schema sets: project, version, licence, source, kinds",
		Example: "  aiden schemas list\n  aiden schemas list --kinds\n  aiden schemas list --json",
		Args:    argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			sets, err := schema.Catalogue()
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(stdout, sets)
			}
			writeSets(stdout, sets, kinds)
			return nil
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	list.Flags().BoolVar(&kinds, "kinds", false, "list every kind of each set")
	var showJSON bool
	show := &cobra.Command{
		Use:     "show KIND",
		Short:   "Show which shipped set the schema of a kind comes from, per API version",
		Example: "  aiden schemas show Certificate\n  aiden schemas show gateway.networking.k8s.io/v1/HTTPRoute",
		Args:    argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			found, err := schema.FindKind(args[0])
			if err != nil {
				return usageErr("%w (see 'aiden schemas list --kinds')", err)
			}
			sets, err := schema.Catalogue()
			if err != nil {
				return err
			}
			bySet := map[string]schema.Set{}
			for _, s := range sets {
				bySet[s.Name] = s
			}
			if showJSON {
				type entry struct {
					schema.KindSchema
					From schema.Set `json:"from"`
				}
				out := make([]entry, 0, len(found))
				for _, k := range found {
					s := bySet[k.Set]
					s.Kinds, s.Shadowed = nil, nil
					out = append(out, entry{KindSchema: k, From: s})
				}
				return writeJSON(stdout, out)
			}
			for _, k := range found {
				s := bySet[k.Set]
				fmt.Fprintf(stdout, "%s %s: %s %s (%s), from %s\n", k.APIVersion, k.Kind, s.Project, s.Version, s.License, s.Source)
			}
			return nil
		},
	}
	show.Flags().BoolVar(&showJSON, "json", false, "print JSON")
	cmd.AddCommand(list, show)
	return cmd
}

// writeSets prints the sets as a table, with their kinds when asked.
func writeSets(w io.Writer, sets []schema.Set, kinds bool) {
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "SET\tPROJECT\tVERSION\tLICENSE\tKINDS\tSOURCE")
	for _, s := range sets {
		n := fmt.Sprint(len(s.Kinds))
		if len(s.Shadowed) > 0 {
			n += fmt.Sprintf(" (%d from another set)", len(s.Shadowed))
		}
		project := s.Project
		if s.Fallback {
			project += " [fallback]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, project, s.Version, s.License, n, s.Source)
	}
	tw.Flush()
	if !kinds {
		return
	}
	for _, s := range sets {
		fmt.Fprintf(w, "\n%s %s:\n", s.Name, s.Version)
		shadowed := map[string]bool{}
		for _, k := range s.Shadowed {
			shadowed[k] = true
		}
		for _, k := range s.Kinds {
			if shadowed[k] {
				k += " (schema from another set)"
			}
			fmt.Fprintf(w, "  %s\n", k)
		}
	}
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

// configRequiresSchemas reports whether a group's generation config asks
// for every object to have a schema (failOnMissingSchema: true).
func configRequiresSchemas(g *action.Group) bool {
	c := g.Config()
	if c.Path == "" {
		return false
	}
	cfg, err := genconfig.Parse(c.Path, c.Content)
	return err == nil && cfg.FailOnMissingSchema
}
