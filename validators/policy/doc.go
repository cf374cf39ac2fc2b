// Package policy checks Kubernetes objects and Terraform against policy:
// a built-in pack, the repository's Kyverno policies (evaluated offline by
// aiden's own reading of policies, autogen, variables and conditions, with
// Kyverno's pattern matcher and JMESPath interpreter) and conftest-style
// Rego (evaluated with OPA as a library).
package policy
