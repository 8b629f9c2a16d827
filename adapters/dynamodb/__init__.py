"""The DynamoDB adapter: every store in ONE table, through pynamodb.

Single-table layout (`models.py` declares it, `schema.py` creates it, `stores.py` uses it):

    item       pk            sk            gsi1pk / gsi1sk               gsi2pk / gsi2sk
    event      EVENT#<id>    EVENT         EVENTS#<YYYY-MM-DD>           -
                                           / <published_at>#<id>
    event day  EVENT_DAYS    <YYYY-MM-DD>  -                             -
    agent      AGENT         <account id>  -                             -
    alert      ALERT#<id>    ALERT         FP#<fingerprint>@<channel>    ALERTS#<status>
                                           / <first_seen>#<id>           / <last_seen>#<id>
    applied    ALERT#<id>    APPLIED#<occurrence>  -                     -
    silence    SILENCE#<id>  SILENCE       -                             SILENCES
                                                                         / <expires_at>#<id>
    state      STATE#<key>   STATE         -                             -

Only records of kind "alert" are in gsi1; notifications and storm summaries are not.
Records written before that were all in gsi1 under FP#<their fingerprint>, which carried
the route (`<fp>@<channel>` outside the default channel, bare in it) and the kind
(`<fp>#note`); `find_alert` still reads the default channel's bare key when the new one
finds nothing, and an update rewrites a record under the new key. An `applied` item
records one occurrence applied to the alert, written in one transaction with it.

A pending alert is also in gsi3: gsi3pk PENDING / gsi3sk <next_attempt_at>#<id>, with
both attributes removed once it is no longer pending (a sparse index of due posts). A
storm's member is also in gsi4: gsi4pk MEMBERS#<storm id> / gsi4sk <id>, so that joining
a storm writes the member alone, never its summary. A change event (a stack update, a
deployment: bot/changes.py) is also in gsi5: gsi5pk CHANGES#<account>#<region> /
gsi5sk <published_at>#<id>, so that the changes before an alert are read without the
hour's other events.

Times in sort keys are epoch seconds as 12 digits. All indexes project ALL; the table is
PAY_PER_REQUEST, with TTL on `expired_at` (events, event days, silences).

Modules are imported on demand: a Lambda imports `stores` (pynamodb), never `schema`
(boto3, for init-db and tests).
"""
