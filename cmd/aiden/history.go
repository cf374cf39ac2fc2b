package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"connectrpc.com/connect"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/stackgen/aiden/action"
	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/wire"
)

// serverFlag binds --server, defaulting to $AIDEN_SERVER.
func serverFlag(cmd *cobra.Command, url *string) {
	cmd.Flags().StringVar(url, "server", os.Getenv("AIDEN_SERVER"), "URL of the aiden server that keeps the records (default $AIDEN_SERVER)")
}

func recordsClient(url string) (aidenv1connect.GenerateServiceClient, error) {
	if strings.TrimSpace(url) == "" {
		return nil, usageErr("--server is required: records live on the server (aiden serve)")
	}
	return aidenv1connect.NewGenerateServiceClient(apiClient(), strings.TrimRight(url, "/")), nil
}

type historyFlags struct {
	server, door, status, caller, format, since, page string
	limit                                             int
	json                                              bool
}

func newHistoryCmd(stdout io.Writer) *cobra.Command {
	var f historyFlags
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List the generations a server has recorded, newest first",
		Long: `History lists the generations recorded by the server named by --server,
whichever door they came through (rpc, cli, chat), newest first. Filters narrow
the list; --page continues from the token a previous page printed.`,
		Example: `  aiden history --server http://localhost:8080
  aiden history --server http://localhost:8080 --door chat --status failed --limit 10`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runHistory(cmd.Context(), f, stdout)
		},
	}
	serverFlag(cmd, &f.server)
	fl := cmd.Flags()
	fl.StringVar(&f.door, "door", "", "only this door: rpc, cli or chat")
	fl.StringVar(&f.status, "status", "", "only this status: running, succeeded, failed or interrupted")
	fl.StringVar(&f.caller, "caller", "", "only this caller")
	fl.StringVar(&f.format, "format", "", "only this format: helm, kustomize or terraform")
	fl.StringVar(&f.since, "since", "", "only generations younger than this duration (24h) or since this RFC 3339 time")
	fl.IntVarP(&f.limit, "limit", "n", 20, "most generations to list (at most 500)")
	fl.StringVar(&f.page, "page", "", "page token printed by a previous call")
	fl.BoolVar(&f.json, "json", false, "print the response as JSON")
	return cmd
}

func runHistory(ctx context.Context, f historyFlags, stdout io.Writer) error {
	client, err := recordsClient(f.server)
	if err != nil {
		return err
	}
	req := &aidenv1.ListGenerationsRequest{PageSize: int32(f.limit), PageToken: f.page, Caller: f.caller}
	if f.door != "" {
		d, ok := aidenv1.Door_value["DOOR_"+strings.ToUpper(f.door)]
		if !ok || d == 0 {
			return usageErr("--door %s: want rpc, cli or chat", f.door)
		}
		req.Door = aidenv1.Door(d)
	}
	if f.status != "" {
		s, ok := aidenv1.GenerationStatus_value["GENERATION_STATUS_"+strings.ToUpper(f.status)]
		if !ok || s == 0 {
			return usageErr("--status %s: want running, succeeded, failed or interrupted", f.status)
		}
		req.Status = aidenv1.GenerationStatus(s)
	}
	if f.format != "" {
		format, err := generator.ParseFormat(f.format)
		if err != nil {
			return usageErr("--format: %w", err)
		}
		req.Format = wire.FormatToProto(format)
	}
	if f.since != "" {
		t, err := parseSince(f.since, time.Now())
		if err != nil {
			return err
		}
		req.Since = timestamppb.New(t)
	}
	resp, err := client.ListGenerations(ctx, connect.NewRequest(req))
	if err != nil {
		return fmt.Errorf("call %s: %w", f.server, err)
	}
	if f.json {
		return printJSON(stdout, resp.Msg)
	}
	if len(resp.Msg.GetGenerations()) == 0 {
		fmt.Fprintln(stdout, "no generations")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED\tDOOR\tCALLER\tSTATUS\tTARGET\tINTENT")
	for _, g := range resp.Msg.GetGenerations() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", g.GetId(), g.GetCreateTime().AsTime().Local().Format("2006-01-02 15:04:05"),
			enumWord(g.GetDoor().String(), "DOOR_"), g.GetCaller(), statusWord(g), g.GetTargetPath(), clip(g.GetIntent(), 60))
	}
	tw.Flush()
	if next := resp.Msg.GetNextPageToken(); next != "" {
		fmt.Fprintf(stdout, "more: --page %s\n", next)
	}
	return nil
}

func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, usageErr("--since %s: want a duration (24h) or an RFC 3339 time", s)
}

type showFlags struct {
	server string
	patch  bool
	json   bool
}

func newShowCmd(stdout io.Writer) *cobra.Command {
	var f showFlags
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show one recorded generation: request, outcome, findings, tokens, patch",
		Long: `Show prints the record of one generation from the server named by --server:
who asked, through which door, for what, with which workspace and config, which
provider and model wrote it, each attempt's findings and tokens, and how it
ended. --patch prints only the patch, ready for git apply.`,
		Example: `  aiden show gen_5f2c9a1b7d3e4f60 --server http://localhost:8080
  aiden show gen_5f2c9a1b7d3e4f60 --server http://localhost:8080 --patch | git apply`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runShow(cmd.Context(), args[0], f, stdout)
		},
	}
	serverFlag(cmd, &f.server)
	cmd.Flags().BoolVar(&f.patch, "patch", false, "print only the patch")
	cmd.Flags().BoolVar(&f.json, "json", false, "print the record as JSON")
	return cmd
}

func runShow(ctx context.Context, id string, f showFlags, stdout io.Writer) error {
	client, err := recordsClient(f.server)
	if err != nil {
		return err
	}
	resp, err := client.GetGeneration(ctx, connect.NewRequest(&aidenv1.GetGenerationRequest{Id: id}))
	if err != nil {
		return fmt.Errorf("call %s: %w", f.server, err)
	}
	g := resp.Msg.GetGeneration()
	switch {
	case f.json:
		return printJSON(stdout, g)
	case f.patch:
		if g.GetPatch() == "" {
			return &exitError{code: exitUsage, err: fmt.Errorf("generation %s has no patch (%s)", id, statusWord(g))}
		}
		fmt.Fprint(stdout, g.GetPatch())
		return nil
	}
	printRecord(stdout, g)
	return nil
}

func printRecord(w io.Writer, g *aidenv1.Generation) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	row("id", g.GetId())
	row("status", statusWord(g))
	row("error", g.GetError())
	row("created", g.GetCreateTime().AsTime().Local().Format(time.RFC3339))
	if g.GetFinishTime() != nil {
		row("finished", fmt.Sprintf("%s (%s)", g.GetFinishTime().AsTime().Local().Format(time.RFC3339),
			g.GetFinishTime().AsTime().Sub(g.GetCreateTime().AsTime()).Round(time.Millisecond)))
	}
	row("door", enumWord(g.GetDoor().String(), "DOOR_"))
	row("caller", g.GetCaller())
	row("intent", g.GetIntent())
	row("format", enumWord(g.GetFormat().String(), "FORMAT_"))
	row("target", g.GetTargetPath())
	row("environment", g.GetEnvironment())
	o := g.GetOptions()
	row("options", fmt.Sprintf("validate=%t policy-check=%t kubernetes=%s", o.GetValidate(), wire.PolicyCheck(o), cmp.Or(o.GetKubernetesVersion(), "default")))
	row("config", g.GetConfigDigest())
	row("workspace", g.GetWorkspaceDigest())
	row("provider", g.GetProvider())
	row("model", g.GetModel())
	row("stage", g.GetStage())
	row("summary", g.GetSummary())
	if g.GetStatus() == aidenv1.GenerationStatus_GENERATION_STATUS_SUCCEEDED {
		row("valid", fmt.Sprint(g.GetValid()))
	}
	tw.Flush()
	for i, a := range g.GetAttempts() {
		fmt.Fprintf(w, "\nattempt %d: %d %s, %d %s", i+1, len(a.GetFiles()), validators.Plural(len(a.GetFiles()), "file"), len(a.GetFindings()), validators.Plural(len(a.GetFindings()), "finding"))
		if a.GetPromptTokens()+a.GetCompletionTokens() > 0 {
			fmt.Fprintf(w, ", %d prompt + %d completion tokens", a.GetPromptTokens(), a.GetCompletionTokens())
		}
		if a.GetModel() != "" {
			fmt.Fprintf(w, " (%s)", a.GetModel())
		}
		fmt.Fprintln(w)
		for _, f := range wire.FindingsFromProto(a.GetFindings()) {
			fmt.Fprintf(w, "  %-7s %s\n", action.SeverityWord(f), action.FindingLine(f))
		}
	}
	if p := g.GetPatch(); p != "" {
		fmt.Fprintf(w, "\npatch: %d lines (aiden show %s --patch | git apply)\n", strings.Count(p, "\n"), g.GetId())
	}
}

func statusWord(g *aidenv1.Generation) string {
	return enumWord(g.GetStatus().String(), "GENERATION_STATUS_")
}

func enumWord(s, prefix string) string {
	return strings.ToLower(strings.TrimPrefix(s, prefix))
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
