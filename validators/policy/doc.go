// Package policy checks Kubernetes objects and Terraform against policy:
// a built-in pack, the repository's Kyverno policies (evaluated offline by
// aiden's own reading of policies, autogen, variables and conditions, with
// Kyverno's pattern matcher and JMESPath interpreter), its CEL policies
// (Kyverno ValidatingPolicy and MutatingPolicy, Kubernetes
// ValidatingAdmissionPolicy and MutatingAdmissionPolicy with their
// bindings, validate.cel rules; cel-go with the Kubernetes CEL libraries,
// programs compiled once per policy) and conftest-style Rego (evaluated
// with OPA as a library). RunKyvernoTest runs Kyverno's kyverno-test.yaml
// files offline with Kyverno's test semantics.
package policy
