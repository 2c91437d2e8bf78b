"""How much text one field may hold, shared by the portal forms and the API (issue 7).

The same limits in both places, so nothing the API accepts could not have been typed into the
portal, and a pasted megabyte is refused with a message naming the field instead of being
stored, emailed and rendered. A description and a comment hold the same as a reply by email
(`comms.inbound.MAX_REPLY_CHARS`, §10.2): text, with logs and documents attached as files.
"""

SUBJECT_MAX_CHARS = 160
DESCRIPTION_MAX_CHARS = 20_000
COMMENT_MAX_CHARS = 20_000
RESOLUTION_CODE_MAX_CHARS = 40

# Ids in filters and request bodies are 64-bit database keys; anything outside is refused as
# out of range rather than sent to the database, which would fail.
ID_MAX = 2**63 - 1
