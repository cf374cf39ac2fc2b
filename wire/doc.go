// Package wire converts between the engine's types and the aiden.v1
// messages of the Connect RPC API, and maps engine errors onto Connect
// codes. The server, the CLI (its --server path, and its exit codes) and
// the MCP door share it; it depends on the engine's types and the
// generated code only, so a door can speak the API without the server's
// handlers, storage or authentication.
package wire
