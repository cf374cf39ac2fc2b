package generator

import "github.com/stackgen/aiden/secrets"

// redactSecrets removes secret values and credential-looking literals from
// content before it is sent to a model.
func redactSecrets(b []byte) ([]byte, int) { return secrets.Redact(b) }
