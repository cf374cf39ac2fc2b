package validators

import (
	"strings"

	"github.com/stackgen/aiden/validators/schema"
)

// MissingSchemaPrefix starts the message of a schema finding about an
// object whose kind has no schema anywhere (a warning by default).
const MissingSchemaPrefix = schema.MissingPrefix

// IsMissingSchema reports whether a finding says an object went
// unvalidated for want of a schema for its kind.
func IsMissingSchema(rule, message string) bool {
	return rule == "schema" && strings.HasPrefix(message, MissingSchemaPrefix)
}

// RequireSchemas makes every object left without a schema an error, for
// teams that want every object checked (aiden validate
// --fail-on-missing-schema): the findings become errors and the schema
// check fails.
func RequireSchemas(rep *Report) {
	n := 0
	for i := range rep.Findings {
		if f := &rep.Findings[i]; IsMissingSchema(f.Rule, f.Message) {
			f.Severity = SeverityError
			n++
		}
	}
	if n == 0 {
		return
	}
	for i := range rep.Checks {
		if c := &rep.Checks[i]; c.Name == "schema" {
			c.Status = CheckFailed
			c.Detail += "; objects without schema are errors"
		}
	}
}
