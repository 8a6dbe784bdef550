package connections

import (
	"context"
	"errors"
	"time"

	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
)

// CRMDeadline returns the time budget of the CRM step of a routing
// decision.
func (c Connection) CRMDeadline() time.Duration {
	return time.Duration(c.CRMDeadlineMillis) * time.Millisecond
}

// checkLookup validates the lookup order and the CRM step. A named CRM
// connection must exist in the workspace. When the order reads the CRM,
// the CRM deadline must be below the routing deadline, so that the rules
// still run when the CRM does not respond in time. It returns store errors
// other than not found.
func (svc *Service) checkLookup(ctx context.Context, v *validation.Error, s *Settings) error {
	switch s.LookupOrder {
	case LookupPhonebook, LookupCRM, LookupPhonebookThenCRM:
	default:
		v.Add("lookup_order", "%q is invalid: use %q, %q or %q", s.LookupOrder, LookupPhonebook, LookupCRM, LookupPhonebookThenCRM)
	}

	switch {
	case s.CRMDeadlineMillis < MinCRMDeadlineMillis || s.CRMDeadlineMillis >= MaxDeadlineMillis:
		v.Add("crm_deadline_ms", "%d is out of range: use %d to %d milliseconds", s.CRMDeadlineMillis, MinCRMDeadlineMillis, MaxDeadlineMillis-1)
	case UsesCRM(s.LookupOrder) && s.CRMDeadlineMillis >= s.DeadlineMillis:
		v.Add("crm_deadline_ms", "%d must be below deadline_ms (%d), so that the routing rules still run when the CRM is slow",
			s.CRMDeadlineMillis, s.DeadlineMillis)
	}

	if s.RerouteLateCRMAnswers && s.Provider == telephony.ProviderGeneric {
		v.Add("reroute_late_crm_answers", "must be false: generic connections have no API to move a live call")
	}

	if s.CRMConnectionID == "" {
		if UsesCRM(s.LookupOrder) {
			v.Add("crm_connection_id", "is required with lookup_order %q: the id of a CRM connection of this workspace, such as crm_0195f0c7d2e47a1b8c9d0e1f2a3b4c5d", s.LookupOrder)
		}
		return nil
	}
	_, err := svc.store.GetCRMConnection(ctx, s.WorkspaceID, s.CRMConnectionID)
	if errors.Is(err, store.ErrNotFound) {
		v.Add("crm_connection_id", "no CRM connection %q exists in this workspace", s.CRMConnectionID)
		return nil
	}
	return err
}
