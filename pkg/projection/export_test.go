package projection

import (
	"context"

	"github.com/civicase/civicase/pkg/eventstore"
)

// SetAfterApply installs a hook run after each applied commit, inside the batch's transaction.
func SetAfterApply(r *Runner, f func(context.Context, eventstore.Commit)) { r.afterApply = f }

// SetBeforeCommit installs a hook run after a batch's writes were flushed, before its commit; an
// error aborts the batch as a failed commit would.
func SetBeforeCommit(r *Runner, f func(context.Context) error) { r.beforeCommit = f }
