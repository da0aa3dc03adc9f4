"""Notify: circulars (通报, 通知, 督办函, 提醒, 经验交流) pushed to other systems by signed webhooks.

The service (`main.create_app`, port 8003, schema `notify`):

    circulars/      drafts, publishing (文号, the PDF, receipts, deliveries), revoking, 催签 reminders
    receipts/       签收 by the units addressed, and what is still unsigned
    subscribers/    receiving systems, their secrets, and operators' views of deliveries
    deliveries/     the fan-out of an event, the delivery loop (`worker`), redelivery and replay
    events/         the event log and its SSE stream
    access          who may issue, read, sign and manage what

Its core, with no web framework and no database:

    signing         Standard Webhooks secrets, payload bytes and signature headers
    outbound        which URLs and addresses a webhook may reach (SSRF policy), and a resolver enforcing it
    delivery        one HTTP attempt on aiohttp, classified into an `AttemptResult`
    retry_schedule  when the next attempt is due, and when an endpoint is to be disabled
    markdown        a circular's Markdown body as sanitised HTML, and as a document's paragraphs
    docnumber       文号 (document numbers) and the issuers' 机关代字
    document        a circular as a PDF laid out per GB/T 9704-2012, with its line breaking in
                    `linebreak` and its typefaces found by `fonts`
"""
