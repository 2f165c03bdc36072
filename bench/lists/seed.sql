-- 100,000 households (N) added to the demo call, as crates/web/tests/lists.rs seeds them:
-- every 10th in Pasto (52001), every 1000th headed by "José Peña"; heads; decisions for half
-- (a quarter eligible, a quarter not eligible); an offer letter for the other half (a third of
-- them failed). __N__ is replaced by the driver. Runs on SQLite and PostgreSQL alike.
INSERT INTO households (call_id, external_id, municipality_code, sisben_area, displaced,
  ethnic_group, ethnic_community_registered, program_line, created_at, search_key,
  verification_status)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < __N__)
SELECT t.call_id, 'BIG-' || i, CASE WHEN i % 10 = 0 THEN '52001' ELSE t.municipality_code END,
  t.sisben_area, t.displaced, t.ethnic_group, t.ethnic_community_registered,
  t.program_line, t.created_at,
  CASE WHEN i % 1000 = 0 THEN 'jose pena ' ELSE 'maria gomez ' END || i || ' big-' || i,
  CASE WHEN i % 4 = 0 THEN 'eligible' WHEN i % 2 = 0 THEN 'not_eligible' ELSE 'pending' END
FROM n, households t WHERE t.id = (SELECT MIN(id) FROM households WHERE call_id IS NOT NULL);
-- The call's count of households, as registering them keeps it (calls.households).
UPDATE calls SET households = (SELECT COUNT(*) FROM households h WHERE h.call_id = calls.id);
INSERT INTO persons (household_id, document_type, document, document_key, first_name,
  last_name, sex, birth_date, is_head)
SELECT h.id, t.document_type, '' || h.id, '' || h.id,
  CASE WHEN h.search_key LIKE 'jose%' THEN 'José' ELSE 'María' END,
  CASE WHEN h.search_key LIKE 'jose%' THEN 'Peña' ELSE 'Gómez' END,
  t.sex, t.birth_date, t.is_head
FROM households h, persons t
WHERE h.external_id LIKE 'BIG-%' AND t.id = (SELECT MIN(id) FROM persons WHERE is_head);
-- A decision for each household written decided above, with the status the store keeps on
-- the household (migration 44; written with it, as decisions made one at a time leave the
-- table, rather than half a million rows updated at once).
INSERT INTO household_verifications (household_id, status, reason_codes, lock_version, call_id)
SELECT id, verification_status, '', 1, call_id
FROM households WHERE external_id LIKE 'BIG-%' AND verification_status <> 'pending';
INSERT INTO letters (call_id, household_id, kind, recipient, subject, body, channel, status, created_at)
SELECT h.call_id, h.id, 'offer', 'Hogar ' || h.external_id, 'Oferta institucional', 'Texto',
  'file', CASE WHEN h.id % 3 = 0 THEN 'failed' ELSE 'sent' END, h.created_at
FROM households h WHERE h.external_id LIKE 'BIG-%' AND h.verification_status = 'pending';
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
-- The run's counts were kept when the demo stored it: forgotten, as when a later run takes
-- households from a run, so its pages count what it now holds.
UPDATE screening_runs SET counts = NULL WHERE job_key = 'demo-households';
-- Documents received from the N households (issue 18 part 2, the call's documents list): an
-- identity document from each, a Sisbén certificate from every other one, received over 30
-- days from the household's registration (the day brought: one of 28 days of March 2026), with
-- the household's call and municipality.
INSERT INTO household_documents (household_id, kind, file_name, content_type, size_bytes,
  sha256, received_by, received_at, received_on, call_id, municipality_code)
SELECT h.id, 'identity', 'cedula.pdf', 'application/pdf', 1000,
  '0000000000000000000000000000000000000000000000000000000000000000', NULL,
  h.created_at + (h.id % 30) * 86400000000,
  '2026-03-' || CASE WHEN h.id % 28 < 9 THEN '0' ELSE '' END || (1 + h.id % 28), h.call_id,
  h.municipality_code
FROM households h WHERE h.external_id LIKE 'BIG-%';
INSERT INTO household_documents (household_id, kind, file_name, content_type, size_bytes,
  sha256, received_by, received_at, received_on, call_id, municipality_code)
SELECT h.id, 'sisben', 'sisben.pdf', 'application/pdf', 1000,
  '0000000000000000000000000000000000000000000000000000000000000000', NULL,
  h.created_at + (h.id % 30) * 86400000000 + 3600000000,
  '2026-03-' || CASE WHEN h.id % 28 < 9 THEN '0' ELSE '' END || (1 + h.id % 28), h.call_id,
  h.municipality_code
FROM households h WHERE h.external_id LIKE 'BIG-%' AND h.id % 2 = 1;
-- The committee's items (its list): 100 sessions from 2014 on (every other one with its
-- minutes drawn up), __F__ submitted formulations in the demo formulation's municipality
-- (every 100th titled "Café de altura"), each on the agenda of one session with a positive,
-- negative or no concept, every 10th with an objection not yet decided.
INSERT INTO committee_sessions (held_on, place, closed_at, lock_version, created_by, created_at)
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99)
SELECT (2014 + i / 12) || '-' || CASE WHEN i % 12 < 9 THEN '0' ELSE '' END || (1 + i % 12) || '-'
    || CASE WHEN i % 28 < 9 THEN '0' ELSE '' END || (1 + i % 28),
  'BIG sesión ' || i, CASE WHEN i % 2 = 0 THEN t.created_at END, 0, NULL, t.created_at
FROM n, committee_sessions t WHERE t.id = (SELECT MIN(id) FROM committee_sessions);
INSERT INTO formulations (code, call_id, title, municipality_code, status, return_reason,
  created_by, created_at, updated_at, search_key)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < __F__)
SELECT 'BIG-F-' || i, t.call_id,
  CASE WHEN i % 100 = 0 THEN 'Café de altura ' ELSE 'Proyecto productivo ' END || i,
  t.municipality_code, 'submitted', NULL, NULL, t.created_at, t.updated_at,
  CASE WHEN i % 100 = 0 THEN 'cafe de altura ' ELSE 'proyecto productivo ' END || i || ' big-f-' || i
FROM n, formulations t WHERE t.id = (SELECT MIN(id) FROM formulations);
INSERT INTO agenda_items (session_id, formulation_id, version_number, concept, concept_text,
  evaluation_summary, decided_by, decided_at, lock_version)
SELECT (SELECT MIN(id) FROM committee_sessions WHERE place LIKE 'BIG%') + f.id % 100, f.id, 1,
  CASE WHEN f.id % 3 = 0 THEN 'positive' WHEN f.id % 3 = 1 THEN 'negative' END,
  NULL, NULL, NULL, NULL, 0
FROM formulations f WHERE f.code LIKE 'BIG-F-%';
INSERT INTO objections (formulation_id, target, target_ref, filed_by, text, recorded_by,
  filed_at, session_id, decision, reasons, decided_by, decided_at)
SELECT f.id, 'project', f.code, 'Junta de Acción Comunal', 'Oposición', NULL, f.created_at,
  NULL, NULL, NULL, NULL, NULL
FROM formulations f WHERE f.code LIKE 'BIG-F-%' AND f.id % 10 = 0;
