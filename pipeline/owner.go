package pipeline

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm-project/ecrm"
)

// ServiceTeam takes the work of clients without an advisor: an accepted
// offer, an order request.
const ServiceTeam = "service"

// ErrNoOwner: neither the client's advisor nor an active member of the
// service team can take the client's request.
var ErrNoOwner = ecrm.Errorf(ecrm.EUNAVAILABLE, "pipeline.error.no_owner")

// ClientOwnerTx is who owns a deal a client opens by themselves (an
// application, an order request): their advisor, else the service team's
// first active member.
func ClientOwnerTx(ctx context.Context, tx pgx.Tx, clientID int64) (int64, error) {
	var owner *int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(c.advisor_id,
	    (SELECT min(m.staff_id) FROM service_team_members m JOIN staff_users s ON s.id = m.staff_id
	     WHERE m.team_code = $2 AND s.active))
	FROM clients c WHERE c.id = $1`, clientID, ServiceTeam).Scan(&owner); err != nil {
		return 0, fmt.Errorf("owner of client %d's request: %w", clientID, err)
	}
	if owner == nil {
		return 0, ErrNoOwner
	}
	return *owner, nil
}
