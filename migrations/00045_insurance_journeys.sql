-- The insurance journey (issue 16, items 2, 6 and 7): a client's (or a
-- prospect's) way through the ten questionnaires, the answers kept per
-- questionnaire version as FHIR QuestionnaireResponse documents, and the
-- events journey analytics counts. Answers are saved at every change, so
-- an abandoned journey keeps what was answered.

-- +goose Up
CREATE TABLE insurance_journeys (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id           bigint NOT NULL REFERENCES clients (id),
    kind                text NOT NULL CHECK (kind IN ('new', 'renewal')),
    -- The policy a renewal renews; its foreign key comes with the
    -- policies' migration (00047), which owns what it points at.
    renews_policy_id    bigint,
    -- The journey whose answers a renewal started from.
    previous_journey_id bigint REFERENCES insurance_journeys (id),
    status              text NOT NULL DEFAULT 'in_progress' CHECK (status IN ('in_progress', 'completed', 'abandoned')),
    current_section     text NOT NULL,
    started_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    completed_at        timestamptz,
    CHECK ((status = 'completed') = (completed_at IS NOT NULL)),
    CHECK (kind = 'new' OR previous_journey_id IS NOT NULL)
);
-- The portal lists a client's journeys, newest first.
CREATE INDEX insurance_journeys_client ON insurance_journeys (client_id, started_at DESC);

-- One response per journey and questionnaire version. client_id repeats
-- the journey's so that every read filters by the client in SQL.
CREATE TABLE questionnaire_responses (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    journey_id       bigint NOT NULL REFERENCES insurance_journeys (id),
    client_id        bigint NOT NULL REFERENCES clients (id),
    questionnaire_id bigint NOT NULL REFERENCES questionnaires (id),
    status           text NOT NULL CHECK (status IN ('in-progress', 'completed')),
    -- The FHIR R4 QuestionnaireResponse, as a mobile app or an export
    -- reads it.
    response         jsonb NOT NULL CHECK (jsonb_typeof(response) = 'object'),
    -- The same answers by linkId ({"linkId": [value, ...]}), as the
    -- engine reads them (insurance.Answers).
    answers          jsonb NOT NULL CHECK (jsonb_typeof(answers) = 'object'),
    -- linkIds a renewal asks the applicant to look at again (new or
    -- changed questions of a newer version, answers no longer valid).
    attention        text[] NOT NULL DEFAULT '{}',
    authored         timestamptz NOT NULL,
    UNIQUE (journey_id, questionnaire_id)
);
CREATE INDEX questionnaire_responses_client ON questionnaire_responses (client_id, journey_id);
-- Analytics groups by questionnaire version.
CREATE INDEX questionnaire_responses_questionnaire ON questionnaire_responses (questionnaire_id);

-- What applicants did, for analytics: a section viewed, a question
-- answered (live or submitted), a section submitted, the journey started
-- and completed. elapsed_ms is the time since the section was first
-- viewed.
CREATE TABLE insurance_journey_events (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    journey_id       bigint NOT NULL REFERENCES insurance_journeys (id),
    questionnaire_id bigint NOT NULL REFERENCES questionnaires (id),
    link_id          text,
    kind             text NOT NULL CHECK (kind IN ('start', 'view', 'answer', 'submit', 'complete')),
    at               timestamptz NOT NULL,
    elapsed_ms       bigint NOT NULL DEFAULT 0 CHECK (elapsed_ms >= 0)
);
CREATE INDEX insurance_journey_events_questionnaire ON insurance_journey_events (questionnaire_id, kind);
CREATE INDEX insurance_journey_events_journey ON insurance_journey_events (journey_id, questionnaire_id, kind);

-- +goose Down
DROP TABLE insurance_journey_events;
DROP TABLE questionnaire_responses;
DROP TABLE insurance_journeys;
