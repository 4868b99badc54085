"""Each person's own corner of the workspace: their folder, their design documents, share links.

workspace root/
    people/<key>/            one person: designs/, runs.sqlite, runs/, data/, imports/
    shared/<token>.json      read-only snapshots handed out by "Copy link"
"""
