//! `#[psos::node]` as a user meets it: nodes that compile and run, and one
//! case per error the macro reports, each with the compiler's output as a
//! golden `.stderr` file (regenerate with `TRYBUILD=overwrite`).

#[test]
fn node_macro() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
