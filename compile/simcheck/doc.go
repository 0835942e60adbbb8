// Package simcheck holds only tests: it checks the chip simulator (package
// sim) against the compiler's integer reference evaluator
// (compile.EvalInteger) on compiled models, prediction by prediction and
// spike by spike. It lives apart from package compile so that the
// compiler's own tests never depend on the simulator building.
package simcheck
