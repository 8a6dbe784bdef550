-- Where incoming callers are looked up: lookup_order (already present) gains
-- "crm" and "phonebook_then_crm", which read the CRM connection named by
-- crm_connection_id in real time. crm_connection_id has no foreign key: a
-- deleted CRM connection leaves the telephony connection usable, and its
-- calls are routed without the CRM step.

ALTER TABLE telephony_connections ADD COLUMN crm_connection_id TEXT NOT NULL DEFAULT '';
-- The time the CRM step of a routing decision may take, in milliseconds,
-- inside deadline_ms.
ALTER TABLE telephony_connections ADD COLUMN crm_deadline_ms BIGINT NOT NULL DEFAULT 800;
-- Reroute a live call when the CRM responds after crm_deadline_ms and its
-- contact routes the call elsewhere.
ALTER TABLE telephony_connections ADD COLUMN reroute_late_crm_answers BOOLEAN NOT NULL DEFAULT FALSE;
