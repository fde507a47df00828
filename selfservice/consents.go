package selfservice

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// ConsentWordingVersion is the version of the consent texts the portal
// shows now. The texts live in the catalogue under keys that carry the
// version (portal.consent.wording.2026-11.marketing.email), so a new
// wording is added under a new version and the old text stays available
// for whoever must prove what a client agreed to.
const ConsentWordingVersion = "2026-11"

// ConsentTopic is a purpose and a channel a client can give consent for.
type ConsentTopic struct {
	Purpose string `json:"purpose"`
	Channel string `json:"channel"`
}

// ConsentTopics are the consents the portal offers: marketing by e-mail,
// SMS and phone, personalised offers in the portal and the app (the
// compliance gate shows none without it), and profiling for offers on any
// channel.
var ConsentTopics = []ConsentTopic{
	{"marketing", "email"},
	{"marketing", "sms"},
	{"marketing", "phone"},
	{"marketing", "web"},
	{"profiling", "any"},
}

// Consent is the state of one consent topic: the latest recorded choice,
// or not granted when the client never chose.
type Consent struct {
	Purpose string `json:"purpose"`
	Channel string `json:"channel"`
	Granted bool   `json:"granted"`
	// WordingVersion, Source and RecordedAt describe the latest record;
	// they are empty when there is none.
	WordingVersion string     `json:"wording_version,omitempty"`
	Source         string     `json:"source,omitempty"`
	RecordedAt     *time.Time `json:"recorded_at,omitempty"`
	// Wording is the current text of the consent, in the request's
	// language; giving consent agrees to this text.
	Wording string `json:"wording"`
}

// WordingKey returns the catalogue key of the topic's text in a wording
// version.
func (t ConsentTopic) WordingKey(version string) string {
	return "portal.consent.wording." + version + "." + t.Purpose + "." + t.Channel
}

// LookupConsentTopic reports whether the portal offers the topic.
func LookupConsentTopic(purpose, channel string) (ConsentTopic, bool) {
	for _, t := range ConsentTopics {
		if t.Purpose == purpose && t.Channel == channel {
			return t, true
		}
	}
	return ConsentTopic{}, false
}

// Consents returns the state of every topic the portal offers, in the
// order of ConsentTopics.
func (s *Service) Consents(ctx context.Context, clientID int64) ([]Consent, error) {
	current, err := queryCurrentConsents(ctx, s.pool, clientID)
	if err != nil {
		return nil, fmt.Errorf("read consents of client %d: %w", clientID, err)
	}
	l := i18n.FromContext(ctx)
	out := make([]Consent, 0, len(ConsentTopics))
	for _, t := range ConsentTopics {
		c, ok := current[t]
		if !ok {
			c = Consent{Purpose: t.Purpose, Channel: t.Channel}
		}
		c.Wording = l.T(t.WordingKey(ConsentWordingVersion))
		out = append(out, c)
	}
	return out, nil
}

// SetConsent gives or withdraws the client's consent for a topic, as a new
// row (source portal, the current wording version, recorded now). Setting
// the state already in force records nothing and reports changed false;
// giving again a consent given under an older wording records it anew,
// since the client now agrees to the current text. The client row is
// locked for the check and the insert, so two clicks at once record one
// row.
func (s *Service) SetConsent(ctx context.Context, clientID int64, topic ConsentTopic, granted bool) (c Consent, changed bool, err error) {
	if _, ok := LookupConsentTopic(topic.Purpose, topic.Channel); !ok {
		return Consent{}, false, notFound()
	}
	at := s.now()
	err = pgdb.Transact(ctx, s.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		changed = false
		var one int
		if err := tx.QueryRow(ctx, lockClientSQL, clientID).Scan(&one); errors.Is(err, pgx.ErrNoRows) {
			return notFound()
		} else if err != nil {
			return err
		}
		current, err := queryCurrentConsents(ctx, tx, clientID)
		if err != nil {
			return err
		}
		if latest, ok := current[topic]; ok && latest.Granted == granted && (!granted || latest.WordingVersion == ConsentWordingVersion) {
			c = latest
			return nil
		}
		if !granted {
			if _, ok := current[topic]; !ok {
				// Never given: withdrawing changes nothing.
				c = Consent{Purpose: topic.Purpose, Channel: topic.Channel}
				return nil
			}
		}
		if _, err := tx.Exec(ctx, insertConsentSQL, clientID, topic.Purpose, topic.Channel, granted, ConsentWordingVersion, at); err != nil {
			return err
		}
		changed = true
		c = Consent{Purpose: topic.Purpose, Channel: topic.Channel, Granted: granted,
			WordingVersion: ConsentWordingVersion, Source: "portal", RecordedAt: &at}
		return insertPortalAction(ctx, tx, clientID, ActionConsentChange, topic.Purpose+"."+topic.Channel, at)
	})
	if err != nil {
		if ecrm.ErrorCode(err) != ecrm.EINTERNAL {
			return Consent{}, false, err
		}
		return Consent{}, false, fmt.Errorf("set consent %s/%s of client %d: %w", topic.Purpose, topic.Channel, clientID, err)
	}
	c.Wording = i18n.FromContext(ctx).T(topic.WordingKey(ConsentWordingVersion))
	return c, changed, nil
}
