"""Notify: circulars (通报, 通知, 督办函, 提醒, 经验交流) pushed to other systems by signed webhooks.

The modules here are the service's core, with no web framework and no database:

    signing         Standard Webhooks secrets, payload bytes and signature headers
    outbound        which URLs and addresses a webhook may reach (SSRF policy), and a resolver enforcing it
    delivery        one HTTP attempt on aiohttp, classified into an `AttemptResult`
    retry_schedule  when the next attempt is due, and when an endpoint is to be disabled
    markdown        a circular's Markdown body as sanitised HTML
    docnumber       文号 (document numbers), circular kinds and urgency, with their Chinese labels
    document        a circular as a PDF laid out per GB/T 9704-2012, with its line breaking in
                    `linebreak` and its typefaces found by `fonts`
"""
