-- 100,000 households (N) added to the demo call, as crates/web/tests/lists.rs seeds them:
-- every 10th in Pasto (52001), every 1000th headed by "José Peña"; heads; decisions for half
-- (a quarter eligible, a quarter not eligible); an offer letter for the other half (a third of
-- them failed). __N__ is replaced by the driver. Runs on SQLite and PostgreSQL alike.
INSERT INTO households (call_id, external_id, municipality_code, sisben_area, displaced,
  ethnic_group, ethnic_community_registered, program_line, created_at, search_key)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < __N__)
SELECT t.call_id, 'BIG-' || i, CASE WHEN i % 10 = 0 THEN '52001' ELSE t.municipality_code END,
  t.sisben_area, t.displaced, t.ethnic_group, t.ethnic_community_registered,
  t.program_line, t.created_at,
  CASE WHEN i % 1000 = 0 THEN 'jose pena ' ELSE 'maria gomez ' END || i || ' big-' || i
FROM n, households t WHERE t.id = (SELECT MIN(id) FROM households WHERE call_id IS NOT NULL);
INSERT INTO persons (household_id, document_type, document, document_key, first_name,
  last_name, sex, birth_date, is_head)
SELECT h.id, t.document_type, '' || h.id, '' || h.id,
  CASE WHEN h.search_key LIKE 'jose%' THEN 'José' ELSE 'María' END,
  CASE WHEN h.search_key LIKE 'jose%' THEN 'Peña' ELSE 'Gómez' END,
  t.sex, t.birth_date, t.is_head
FROM households h, persons t
WHERE h.external_id LIKE 'BIG-%' AND t.id = (SELECT MIN(id) FROM persons WHERE is_head);
INSERT INTO household_verifications (household_id, status, reason_codes, lock_version)
SELECT id, CASE WHEN id % 4 = 0 THEN 'eligible' ELSE 'not_eligible' END, '', 1
FROM households WHERE external_id LIKE 'BIG-%' AND id % 2 = 0;
INSERT INTO letters (call_id, household_id, kind, recipient, subject, body, channel, status, created_at)
SELECT h.call_id, h.id, 'offer', 'Hogar ' || h.external_id, 'Oferta institucional', 'Texto',
  'file', CASE WHEN h.id % 3 = 0 THEN 'failed' ELSE 'sent' END, h.created_at
FROM households h WHERE h.external_id LIKE 'BIG-%' AND h.id % 2 = 1;
-- A screening result for each of them, in the demo's household run (its file order after the
-- demo's own): a third not eligible for a prior benefit (every 15th also for its Sisbén), the
-- others eligible; levels 1-4 and none in turn.
INSERT INTO screening_results (call_id, external_id, household_id, run_id, position, line,
  eligible, sisben_level, cofinancing_max_pct, cap_smmlv, reasons, municipality_code,
  head_document_masked, rule_set_id, rule_set_hash, as_of, facts, cross_checks, screened_at)
SELECT h.call_id, h.external_id, h.id, t.run_id, 100000 + h.id, 100000 + h.id,
  h.id % 3 <> 0,
  CASE WHEN h.id % 5 = 0 THEN NULL ELSE h.id % 5 END,
  t.cofinancing_max_pct, t.cap_smmlv,
  CASE WHEN h.id % 15 = 0 THEN 'ART10A_PRIOR;ART9A_SISBEN'
       WHEN h.id % 3 = 0 THEN 'ART10A_PRIOR' ELSE '' END,
  h.municipality_code, '••••' || (h.id % 1000), t.rule_set_id, t.rule_set_hash, t.as_of,
  t.facts, t.cross_checks, t.screened_at
FROM households h, screening_results t
WHERE h.external_id LIKE 'BIG-%' AND t.id = (SELECT MIN(r.id) FROM screening_results r
  JOIN screening_runs s ON s.id = r.run_id WHERE s.job_key = 'demo-households');
