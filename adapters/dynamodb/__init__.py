"""The DynamoDB adapter: every store in ONE table, through pynamodb.

Single-table layout (`models.py` declares it, `schema.py` creates it, `stores.py` uses it):

    item       pk            sk            gsi1pk / gsi1sk               gsi2pk / gsi2sk
    event      EVENT#<id>    EVENT         EVENTS#<YYYY-MM-DD>           -
                                           / <published_at>#<id>
    event day  EVENT_DAYS    <YYYY-MM-DD>  -                             -
    agent      AGENT         <account id>  -                             -
    alert      ALERT#<id>    ALERT         FP#<fingerprint>              ALERTS#<status>
                                           / <first_seen>#<id>           / <last_seen>#<id>
    silence    SILENCE#<id>  SILENCE       -                             SILENCES
                                                                         / <expires_at>#<id>
    state      STATE#<key>   STATE         -                             -

A pending alert is also in gsi3: gsi3pk PENDING / gsi3sk <next_attempt_at>#<id>, with
both attributes removed once it is no longer pending (a sparse index of due posts).

Times in sort keys are epoch seconds as 12 digits. All indexes project ALL; the table is
PAY_PER_REQUEST, with TTL on `expired_at` (events, event days, silences).

Modules are imported on demand: a Lambda imports `stores` (pynamodb), never `schema`
(boto3, for init-db and tests).
"""
