// Package compilecheck holds the tests that run models compiled by package
// compile on the simulator and compare them with the compiler's own integer
// evaluator. They live apart from package sim so that sim's own tests and
// benchmarks do not depend on the compiler.
package compilecheck
