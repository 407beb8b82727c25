-- 008_audit.sql -- read-only views for auditors (DESIGN 1, 7; docs/auditor-guide.md).
--
-- Four views answer the questions an auditor asks in SQL, each with the program as
-- its first column so every query can (and should) name one:
--   audit_balances     each account's debit, credit and balance per program;
--   audit_loan_trail   one row per journal entry of a loan, with its legs;
--   audit_claims       each claim with what settlements paid on it and what is open;
--   audit_settlements  each settlement payment with its settlement's through date.
-- They are plain views: nothing is stored twice, and no index is added (each index
-- would cost the write path an insert per row; the views read as the commands do).
--
-- Granted to auditor and finance only, never to agency: a view runs with its
-- owner's rights, so it would bypass the row-level security that keeps an agency to
-- its own loans.

-- Each account of each program: debit, credit, balance = debit - credit, with the
-- party and kind the account name joins (`party:kind`).
CREATE VIEW audit_balances AS
SELECT p.program, p.account, p.party, p.kind,
       coalesce(sum(p.amount) FILTER (WHERE p.side = 'debit'), 0.00) AS debit,
       coalesce(sum(p.amount) FILTER (WHERE p.side = 'credit'), 0.00) AS credit,
       coalesce(sum(p.amount) FILTER (WHERE p.side = 'debit'), 0)
         - coalesce(sum(p.amount) FILTER (WHERE p.side = 'credit'), 0) AS balance
  FROM postings p
 GROUP BY p.program, p.account, p.party, p.kind;

-- One row per entry that names a loan (fees, subsidies, defaults, 代偿, shares,
-- claims, recoveries, settlement payments), with its legs as a JSON array in leg
-- order: [{"leg": 1, "account": "zz-pool:loss", "side": "debit", "amount": 100.00}].
-- `debits` is the entry's total (its credits are equal).  Filter by program and
-- loan_id; order by seq.
CREATE VIEW audit_loan_trail AS
SELECT e.program, e.loan_id, e.seq, e.kind, e.business_date, e.policy_version, e.rule_ids,
       e.event_id, e.batch_id, e.settlement_id, e.reverses_seq, e.recorded_at,
       e.prev_hash, e.hash,
       l.debits,
       l.legs
  FROM entries e
  CROSS JOIN LATERAL (
        SELECT sum(p.amount) FILTER (WHERE p.side = 'debit') AS debits,
               jsonb_agg(jsonb_build_object('leg', p.leg, 'account', p.account,
                                            'side', p.side, 'amount', p.amount)
                         ORDER BY p.leg) AS legs
          FROM postings p
         WHERE p.program = e.program AND p.seq = e.seq) l
 WHERE e.loan_id IS NOT NULL;

-- Each claim on a pool with what has been paid (the sum of its settlement payments),
-- what is still open, how many settlements took it up and the last one that paid
-- anything.  `seq` is the entry that opened it.
CREATE VIEW audit_claims AS
SELECT c.program, c.claim_id, c.kind, c.loan_id, c.payer, c.payee, c.claim_date, c.amount,
       coalesce(s.paid, 0.00) AS paid,
       c.amount - coalesce(s.paid, 0) AS open,
       c.amount - coalesce(s.paid, 0) = 0 AS settled,
       coalesce(s.settlements, 0) AS settlements,
       s.last_paid_by,
       c.seq, c.event_id, c.recorded_at
  FROM claims c
  LEFT JOIN (SELECT q.program, q.claim_id, sum(q.paid) AS paid, count(*) AS settlements,
                    max(q.settlement_id) FILTER (WHERE q.paid > 0) AS last_paid_by
               FROM settlement_payments q
              GROUP BY q.program, q.claim_id) s
         ON s.program = c.program AND s.claim_id = c.claim_id;

-- What each committed settlement did with each claim open before it (paid may be 0),
-- with the settlement's through date and period, the claim, and the paying entry
-- with its hash (NULL when nothing was paid).
CREATE VIEW audit_settlements AS
SELECT q.program, q.settlement_id, s.through_date, s.period, s.recorded_at,
       q.claim_id, c.kind AS claim_kind, c.loan_id, c.payer, c.payee, c.claim_date,
       c.amount AS claim_amount, q.open_before, q.paid, q.open_before - q.paid AS open_after,
       q.seq, e.hash
  FROM settlement_payments q
  JOIN settlements s ON s.program = q.program AND s.settlement_id = q.settlement_id
  JOIN claims c ON c.program = q.program AND c.claim_id = q.claim_id
  LEFT JOIN entries e ON e.program = q.program AND e.seq = q.seq;

GRANT SELECT ON audit_balances, audit_loan_trail, audit_claims, audit_settlements
    TO auditor, finance;
