"""Action plans: an action item is created from a gap (standard or touchpoint, optional
location, the wave it was found in), owned by a member, and verified by the next closed wave's
figure for the same gap and scope (docs/statistics.md, "Verifying an action")."""
