"""Every promise the public notice makes, checked on live data (DESIGN.md section 11).

Each check is a small function `(session, policy, ctx) -> Evidence`, registered with
`registry.promise`; `service.check_promises` runs them all for `dataskydd promises` and the
DPO's page. A promise holds, is broken (with up to ten offending ids, never values) or is not
checked yet (with the reason).
"""
