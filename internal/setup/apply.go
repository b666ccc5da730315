package setup

import (
	"context"
	"fmt"

	"github.com/syncd/syncd/internal/hubspot"
)

// Apply makes the plan's changes in order: property groups, properties,
// pipelines, stages. It refuses a plan that has problems. A change HubSpot
// already has (HTTP 409, another setup was faster) is recorded in
// Result.AlreadyPresent, not treated as an error. On the first other failure
// Apply stops and returns what it did so far with the error; running setup
// again plans only what is still missing.
func Apply(ctx context.Context, client *hubspot.Client, plan *ChangeSet) (Result, error) {
	var res Result
	if plan == nil {
		return res, fmt.Errorf("setup: no plan to apply")
	}
	if len(plan.Problems) > 0 {
		return res, &ProblemsError{Problems: plan.Problems}
	}
	if plan.PortalID != 0 {
		acct, err := client.AccountDetails(ctx)
		if err != nil {
			return res, fmt.Errorf("setup: reading the HubSpot account: %w", err)
		}
		if acct.PortalID != plan.PortalID {
			return res, fmt.Errorf("setup: the plan was made for portal %d but the token belongs to portal %d; plan again", plan.PortalID, acct.PortalID)
		}
	}
	for _, c := range plan.Changes {
		err := applyOne(ctx, client, c)
		switch {
		case err == nil:
			res.Created = append(res.Created, c)
		case errAlreadyExists(err):
			res.AlreadyPresent = append(res.AlreadyPresent, c)
		default:
			return res, fmt.Errorf("setup: %s %s %s: %w", kindVerb(c.Kind), c.ObjectType, c.Name, err)
		}
	}
	return res, nil
}

func applyOne(ctx context.Context, client *hubspot.Client, c Change) error {
	switch c.Kind {
	case CreatePropertyGroup:
		_, err := client.CreatePropertyGroup(ctx, c.ObjectType, hubspot.PropertyGroup{Name: c.Name, Label: GroupLabel})
		return err
	case CreateProperty:
		if c.Property == nil {
			return fmt.Errorf("change has no property definition")
		}
		_, err := client.CreateProperty(ctx, c.ObjectType, *c.Property)
		return err
	case CreatePipeline:
		if c.Pipeline == nil {
			return fmt.Errorf("change has no pipeline definition")
		}
		_, err := client.CreatePipeline(ctx, c.ObjectType, *c.Pipeline)
		return err
	case CreateStage:
		if c.Stage == nil || c.PipelineID == "" {
			return fmt.Errorf("change has no stage definition")
		}
		_, err := client.CreatePipelineStage(ctx, c.ObjectType, c.PipelineID, *c.Stage)
		return err
	}
	return fmt.Errorf("unknown change kind %q", c.Kind)
}

func kindVerb(k Kind) string {
	switch k {
	case CreatePropertyGroup:
		return "creating property group on"
	case CreateProperty:
		return "creating property on"
	case CreatePipeline:
		return "creating pipeline on"
	case CreateStage:
		return "creating stage on"
	}
	return string(k)
}
