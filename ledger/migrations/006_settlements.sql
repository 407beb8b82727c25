-- 006_settlements.sql -- what `settle` needs beyond 001-005 (DESIGN 6 Settlement, 7;
-- docs/finance-guide.md).
--
-- 1. settlement_payments by claim: the trigger that checks each payment's open amount
--    (led_payment_open, 002) sums the claim's earlier payments, and `settle` sums them
--    for every open claim.  The primary key leads with settlement_id, so without this
--    index each payment row scanned every payment of the program: a settlement of
--    100,000 claims would read 10^10 rows.
-- 2. settlement_statements: each committed settlement's statement as `settle --commit`
--    printed it (the columns of DESIGN 8), for finance and auditors, with the paying
--    entry and the through date.

CREATE INDEX settlement_payments_by_claim ON settlement_payments (program, claim_id)
    INCLUDE (paid);

CREATE VIEW settlement_statements AS
SELECT s.program, s.settlement_id, s.through_date, s.period, s.recorded_at,
       c.claim_id, c.loan_id, c.kind, c.payer, c.payee, c.claim_date,
       p.open_before, p.paid, p.open_before - p.paid AS open_after, p.seq
  FROM settlement_payments p
  JOIN settlements s ON s.program = p.program AND s.settlement_id = p.settlement_id
  JOIN claims c ON c.program = p.program AND c.claim_id = p.claim_id;

GRANT SELECT ON settlement_statements TO finance, auditor;
