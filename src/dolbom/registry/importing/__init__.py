"""Loading the real registry from the national system's export (`dolbom import registry DIR`).

The layout of the files is data (`registry_export.toml`): it is a proposal not yet checked against an official
extract (docs/operations.md, "Loading the real registry"). The modules:

- `layout`    the shipped layout: file names, headers, the labels of coded columns
- `cells`     one cell's text → a value, or the reason it is refused (never quoting a resident number)
- `extract`   every row of every file read and checked, then the rules across rows: a snapshot or the errors
- `services`  the import itself: permission, scope, one transaction, the upsert, the audit
"""
