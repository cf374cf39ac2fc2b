package wire

import (
	"cmp"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/generator/planner"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// GenerateRequest converts an API request into the engine's request.
func GenerateRequest(m *aidenv1.GenerateRequest) generator.Request {
	opts := m.GetOptions()
	return generator.Request{
		Intent:            m.GetIntent(),
		Format:            FormatFromProto(m.GetFormat()),
		TargetPath:        m.GetTargetPath(),
		Environment:       m.GetEnvironment(),
		Workspace:         FilesFromProto(m.GetWorkspace()),
		SkipValidation:    opts != nil && opts.Validate != nil && !opts.GetValidate(),
		PolicyCheck:       PolicyCheck(opts),
		KubernetesVersion: opts.GetKubernetesVersion(),
		SchemaLocations:   opts.GetSchemaLocations(),
		Model:             m.GetModel(),
		Mode:              modeFromProto(m.GetMode()),
		Force:             m.GetForce(),
	}
}

// GenerateResponse converts the engine's result into an API response.
func GenerateResponse(res *generator.Result) *aidenv1.GenerateResponse {
	p := res.Provenance
	prov := &aidenv1.Provenance{
		Generator: p.Generator,
		Model:     p.Model,
		Summary:   p.Summary,
		Ignored:   p.Ignored,
	}
	for _, f := range p.Understood {
		prov.Understood = append(prov.Understood, &aidenv1.Fact{Key: f.Key, Value: f.Value, From: f.From})
	}
	for _, s := range p.Stages {
		prov.Stages = append(prov.Stages, &aidenv1.StageTiming{Stage: string(s.Stage), Millis: Millis(s.Elapsed.Seconds())})
	}
	if p.Generator == "model" {
		for _, a := range p.Attempts {
			prov.Attempts = append(prov.Attempts, AttemptToProto(a))
		}
		prov.ChosenAttempt = int32(p.Chosen)
		prov.Usage = UsageToProto(p.Usage)
		prov.Examples = p.Examples
		prov.ExampleTokens = int32(p.ExampleTokens)
		prov.PromptVersion = p.PromptVersion
		prov.Redacted = int32(p.Redacted)
		prov.Cached = p.Cached
	}
	return &aidenv1.GenerateResponse{
		Files:      FilesToProto(res.Files),
		Patch:      string(res.Patch),
		Findings:   FindingsToProto(res.Report.Findings),
		Checks:     ChecksToProto(res.Report.Checks),
		Provenance: prov,
		Valid:      res.Valid(),
		Deleted:    res.Deleted,
		Mode:       ModeToProto(res.Mode),
		LeftAlone:  leftAloneToProto(res.LeftAlone),
	}
}

// ModeToProto maps a generation mode onto the API's enum.
func ModeToProto(m generator.Mode) aidenv1.Mode {
	switch m {
	case generator.ModeAuto:
		return aidenv1.Mode_MODE_AUTO
	case generator.ModeCreate:
		return aidenv1.Mode_MODE_CREATE
	case generator.ModeChange:
		return aidenv1.Mode_MODE_CHANGE
	case generator.ModeReplace:
		return aidenv1.Mode_MODE_REPLACE
	}
	return aidenv1.Mode_MODE_UNSPECIFIED
}

func modeFromProto(m aidenv1.Mode) generator.Mode {
	switch m {
	case aidenv1.Mode_MODE_CREATE:
		return generator.ModeCreate
	case aidenv1.Mode_MODE_CHANGE:
		return generator.ModeChange
	case aidenv1.Mode_MODE_REPLACE:
		return generator.ModeReplace
	}
	return generator.ModeAuto
}

func leftAloneToProto(ls []generator.LeftAlone) []*aidenv1.LeftAlone {
	out := make([]*aidenv1.LeftAlone, 0, len(ls))
	for _, l := range ls {
		out = append(out, &aidenv1.LeftAlone{Path: l.Path, Reason: l.Reason})
	}
	return out
}

// AttemptToProto converts one model attempt for the wire.
func AttemptToProto(a generator.Attempt) *aidenv1.ModelAttempt {
	return &aidenv1.ModelAttempt{
		Number:    int32(a.Number),
		Usage:     UsageToProto(a.Usage),
		Millis:    Millis(a.Elapsed.Seconds()),
		Retries:   int32(a.Retries),
		Files:     int32(a.Files),
		Findings:  FindingsToProto(a.Findings),
		Errors:    int32(a.Errors),
		Problem:   ValidUTF8(a.Problem),
		Received:  ValidUTF8(a.Received),
		Truncated: a.Truncated,
	}
}

// UsageToProto converts token counts for the wire.
func UsageToProto(u generator.Usage) *aidenv1.TokenUsage {
	return &aidenv1.TokenUsage{PromptTokens: int64(u.InputTokens), CompletionTokens: int64(u.OutputTokens)}
}

// ValidateResponse converts a validation report into an API response.
func ValidateResponse(rep validators.Report) *aidenv1.ValidateResponse {
	return &aidenv1.ValidateResponse{
		Findings: FindingsToProto(rep.Findings),
		Checks:   ChecksToProto(rep.Checks),
		Valid:    rep.Count(validators.SeverityError) == 0,
	}
}

// FilesToProto converts files for the wire.
func FilesToProto(files []workspace.File) []*aidenv1.File {
	out := make([]*aidenv1.File, 0, len(files))
	for _, f := range files {
		out = append(out, &aidenv1.File{Path: f.Path, Content: f.Content})
	}
	return out
}

// FilesFromProto converts files from the wire.
func FilesFromProto(files []*aidenv1.File) []workspace.File {
	out := make([]workspace.File, 0, len(files))
	for _, f := range files {
		out = append(out, workspace.File{Path: f.GetPath(), Content: f.GetContent()})
	}
	return out
}

// FindingsToProto converts findings for the wire.
func FindingsToProto(fs []validators.Finding) []*aidenv1.Finding {
	out := make([]*aidenv1.Finding, 0, len(fs))
	for _, f := range fs {
		out = append(out, &aidenv1.Finding{
			File:     f.File,
			Resource: f.Resource,
			Path:     f.Path,
			Rule:     f.Rule,
			Severity: SeverityToProto(f.Severity),
			Message:  ValidUTF8(f.Message),
			Fixable:  f.Fixable,
			Fixed:    f.Fixed,
			Line:     int32(f.Line),
			Column:   int32(f.Column),
		})
	}
	return out
}

// ChecksToProto converts check records for the wire.
func ChecksToProto(cs []validators.Check) []*aidenv1.Check {
	out := make([]*aidenv1.Check, 0, len(cs))
	for _, c := range cs {
		out = append(out, &aidenv1.Check{
			Name:    c.Name,
			Status:  string(c.Status),
			Checked: int32(c.Checked),
			Skipped: int32(c.Skipped),
			Detail:  ValidUTF8(c.Detail),
		})
	}
	return out
}

// SeverityToProto maps a severity onto the API's enum.
func SeverityToProto(s validators.Severity) aidenv1.Severity {
	switch s {
	case validators.SeverityInfo:
		return aidenv1.Severity_SEVERITY_INFO
	case validators.SeverityWarning:
		return aidenv1.Severity_SEVERITY_WARNING
	case validators.SeverityError:
		return aidenv1.Severity_SEVERITY_ERROR
	}
	return aidenv1.Severity_SEVERITY_UNSPECIFIED
}

// SeverityFromProto maps the API's enum onto a severity.
func SeverityFromProto(s aidenv1.Severity) validators.Severity {
	switch s {
	case aidenv1.Severity_SEVERITY_INFO:
		return validators.SeverityInfo
	case aidenv1.Severity_SEVERITY_WARNING:
		return validators.SeverityWarning
	case aidenv1.Severity_SEVERITY_ERROR:
		return validators.SeverityError
	}
	return 0
}

// FormatToProto maps a format onto the API's enum.
func FormatToProto(f generator.Format) aidenv1.Format {
	switch f {
	case generator.FormatHelm:
		return aidenv1.Format_FORMAT_HELM
	case generator.FormatKustomize:
		return aidenv1.Format_FORMAT_KUSTOMIZE
	case generator.FormatTerraform:
		return aidenv1.Format_FORMAT_TERRAFORM
	}
	return aidenv1.Format_FORMAT_UNSPECIFIED
}

// FormatFromProto maps the API's format enum onto the engine's; unset is "".
func FormatFromProto(f aidenv1.Format) generator.Format {
	switch f {
	case aidenv1.Format_FORMAT_HELM:
		return generator.FormatHelm
	case aidenv1.Format_FORMAT_KUSTOMIZE:
		return generator.FormatKustomize
	case aidenv1.Format_FORMAT_TERRAFORM:
		return generator.FormatTerraform
	}
	return ""
}

// StageToProto maps a pipeline stage onto the API's enum.
func StageToProto(s generator.Stage) aidenv1.Stage {
	switch s {
	case generator.StageContext:
		return aidenv1.Stage_STAGE_CONTEXT
	case generator.StagePlan:
		return aidenv1.Stage_STAGE_PLAN
	case generator.StageRender:
		return aidenv1.Stage_STAGE_RENDER
	case generator.StageValidate:
		return aidenv1.Stage_STAGE_VALIDATE
	case generator.StageDone:
		return aidenv1.Stage_STAGE_DONE
	}
	return aidenv1.Stage_STAGE_UNSPECIFIED
}

// Millis gives seconds as milliseconds, to the microsecond.
func Millis(seconds float64) float64 { return float64(int64(seconds*1e6)) / 1e3 }

// ValidUTF8 keeps protobuf strings valid: a message quoting broken input
// must not make the whole response fail to marshal.
func ValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string([]rune(s))
}

// GenerateResult converts an API response into the engine's result, for a
// client that works on the domain (aiden generate --server). Valid
// survives the trip: a response that is not valid and has no error
// finding comes back as not validated.
func GenerateResult(m *aidenv1.GenerateResponse) *generator.Result {
	p := m.GetProvenance()
	res := &generator.Result{
		Files:   FilesFromProto(m.GetFiles()),
		Deleted: m.GetDeleted(),
		Patch:   []byte(m.GetPatch()),
		Report:  validators.Report{Checks: ChecksFromProto(m.GetChecks()), Findings: FindingsFromProto(m.GetFindings())},
		Mode:    modeFromProto(m.GetMode()),
		Provenance: generator.Provenance{
			Generator:     p.GetGenerator(),
			Model:         p.GetModel(),
			Summary:       p.GetSummary(),
			Ignored:       p.GetIgnored(),
			Chosen:        int(p.GetChosenAttempt()),
			Usage:         usageFromProto(p.GetUsage()),
			Examples:      p.GetExamples(),
			ExampleTokens: int(p.GetExampleTokens()),
			PromptVersion: p.GetPromptVersion(),
			Redacted:      int(p.GetRedacted()),
			Cached:        p.GetCached(),
		},
	}
	res.Validated = m.GetValid() || res.Report.Count(validators.SeverityError) > 0
	for _, f := range p.GetUnderstood() {
		res.Provenance.Understood = append(res.Provenance.Understood, planner.Fact{Key: f.GetKey(), Value: f.GetValue(), From: f.GetFrom()})
	}
	for _, s := range p.GetStages() {
		res.Provenance.Stages = append(res.Provenance.Stages, generator.StageTiming{Stage: generator.Stage(s.GetStage()), Elapsed: fromMillis(s.GetMillis())})
	}
	for _, a := range p.GetAttempts() {
		res.Provenance.Attempts = append(res.Provenance.Attempts, generator.Attempt{
			Number:    int(a.GetNumber()),
			Usage:     usageFromProto(a.GetUsage()),
			Elapsed:   fromMillis(a.GetMillis()),
			Retries:   int(a.GetRetries()),
			Files:     int(a.GetFiles()),
			Findings:  FindingsFromProto(a.GetFindings()),
			Errors:    int(a.GetErrors()),
			Problem:   a.GetProblem(),
			Received:  a.GetReceived(),
			Truncated: a.GetTruncated(),
		})
	}
	for _, l := range m.GetLeftAlone() {
		res.LeftAlone = append(res.LeftAlone, generator.LeftAlone{Path: l.GetPath(), Reason: l.GetReason()})
	}
	return res
}

// ValidateReport converts an API response into a validation report.
func ValidateReport(m *aidenv1.ValidateResponse) validators.Report {
	return validators.Report{Checks: ChecksFromProto(m.GetChecks()), Findings: FindingsFromProto(m.GetFindings())}
}

// FindingsFromProto converts findings from the wire.
func FindingsFromProto(fs []*aidenv1.Finding) []validators.Finding {
	out := make([]validators.Finding, 0, len(fs))
	for _, f := range fs {
		out = append(out, validators.Finding{
			File:     f.GetFile(),
			Resource: f.GetResource(),
			Path:     f.GetPath(),
			Rule:     f.GetRule(),
			Severity: SeverityFromProto(f.GetSeverity()),
			Message:  f.GetMessage(),
			Fixable:  f.GetFixable(),
			Fixed:    f.GetFixed(),
			Line:     int(f.GetLine()),
			Column:   int(f.GetColumn()),
		})
	}
	return out
}

// ChecksFromProto converts check records from the wire.
func ChecksFromProto(cs []*aidenv1.Check) []validators.Check {
	out := make([]validators.Check, 0, len(cs))
	for _, c := range cs {
		out = append(out, validators.Check{
			Name:    c.GetName(),
			Status:  validators.CheckStatus(c.GetStatus()),
			Checked: int(c.GetChecked()),
			Skipped: int(c.GetSkipped()),
			Detail:  c.GetDetail(),
		})
	}
	return out
}

func usageFromProto(u *aidenv1.TokenUsage) generator.Usage {
	return generator.Usage{InputTokens: int(u.GetPromptTokens()), OutputTokens: int(u.GetCompletionTokens())}
}

// fromMillis is the inverse of millis, to the microsecond.
func fromMillis(ms float64) time.Duration {
	return time.Duration(math.Round(ms*1e3)) * time.Microsecond
}

// StageFromProto maps the API's stage enum onto a pipeline stage; a stage
// this build does not know keeps its lowercase name.
func StageFromProto(s aidenv1.Stage) generator.Stage {
	for _, g := range []generator.Stage{generator.StageContext, generator.StagePlan, generator.StageRender, generator.StageValidate, generator.StageDone} {
		if StageToProto(g) == s {
			return g
		}
	}
	return generator.Stage(strings.ToLower(strings.TrimPrefix(s.String(), "STAGE_")))
}

// GenerateRequestToProto converts the engine's request for the wire, for a
// client of the API (aiden generate --server).
func GenerateRequestToProto(r generator.Request) *aidenv1.GenerateRequest {
	validate := !r.SkipValidation
	return &aidenv1.GenerateRequest{
		Intent:      r.Intent,
		Format:      FormatToProto(r.Format),
		TargetPath:  r.TargetPath,
		Environment: r.Environment,
		Workspace:   FilesToProto(r.Workspace),
		Mode:        ModeToProto(cmp.Or(r.Mode, generator.ModeAuto)),
		Force:       r.Force,
		Model:       r.Model,
		Options: &aidenv1.Options{
			Validate: &validate,
			//lint:ignore SA1019 a server older than skip_policy_check reads only this field
			PolicyCheck:       r.PolicyCheck,
			SkipPolicyCheck:   !r.PolicyCheck,
			KubernetesVersion: r.KubernetesVersion,
			SchemaLocations:   r.SchemaLocations,
		},
	}
}
