package wire

// Headers of the generation record. The caller is never a header: it is
// the authenticated subject (see auth).
const (
	// HeaderGenerationID carries the id of the record a Generate or
	// GenerateStream call made.
	HeaderGenerationID = "Aiden-Generation-Id"
	// HeaderClient says which door a call came through: "cli" for aiden
	// generate --server; anything else is the RPC door. It is
	// informational.
	HeaderClient = "Aiden-Client"
)
