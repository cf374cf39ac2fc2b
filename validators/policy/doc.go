// Package policy checks Kubernetes objects and Terraform against policy:
// a built-in pack, the repository's Kyverno policies (evaluated offline
// with Kyverno's own pattern matcher, variables and JMESPath) and
// conftest-style Rego (evaluated with OPA as a library).
package policy
