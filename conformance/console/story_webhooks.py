"""Webhooks, numbers and settings: a failed webhook delivery is seen in the delivery log,
its attempt opened, replayed, and delivered (the receiver really gets it); the numbers page
with its charts, the ledger; the settings, where a new key's secret is shown once."""

from harness import expect, main


def run(ctx):
    f = ctx.fixtures
    page = ctx.page()
    ctx.sign_in(page)

    # The subscriptions, and the new-subscription form.
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
    ctx.labelled(page)
    ctx.shot(page, "webhooks")

    # The delivery log: the event's delivery failed for good.
    page.get_by_role("link", name=f["receiver_url"]).click()
    expect(page.get_by_role("heading", name="Delivery log")).to_be_visible()
    page.get_by_label("Status").select_option("dead")
    page.get_by_role("button", name="Filter").click()
    row = page.locator(f"tr[data-delivery='{f['delivery_id']}']")
    expect(row.locator(".badge")).to_have_text("dead")
    ctx.labelled(page)

    # Its attempts: what the receiver answered, each time.
    row.locator("summary").click()
    expect(row.get_by_text(f["refusal"])).to_be_visible()
    ctx.shot(page, "webhook-log")
    row.get_by_role("link", name="Every attempt of this delivery").click()
    expect(page.get_by_role("heading", name="Delivery attempts")).to_be_visible()
    expect(page.get_by_test_id("delivery-status")).to_have_text("dead")
    attempts = page.get_by_test_id("attempts")
    expect(attempts.locator("tr[data-outcome='dead']")).to_have_count(1)
    expect(attempts.get_by_text("HTTP 500").first).to_be_visible()
    expect(attempts.get_by_text(f["refusal"]).first).to_be_visible()
    ctx.shot(page, "webhook-attempts")

    # Replayed: the log shows it delivered (it reloads itself while it is pending).
    page.get_by_role("button", name="Replay").click()
    expect(page.get_by_test_id("replayed")).to_contain_text("1 deliveries queued again")
    row = page.locator(f"tr[data-delivery='{f['delivery_id']}']")
    expect(row.locator(".badge")).to_have_text("delivered")
    ctx.shot(page, "webhook-replayed")
    row.locator("summary").click()
    row.get_by_role("link", name="Every attempt of this delivery").click()
    expect(page.get_by_test_id("delivery-status")).to_have_text("delivered")
    expect(page.get_by_test_id("attempts").locator("tr[data-outcome='delivered']")).to_have_count(1)

    # Numbers and money: the figures, two charts drawn on the server, the wallet.
    page.get_by_role("link", name="Numbers & money").click()
    expect(page.get_by_role("heading", name="Numbers & money")).to_be_visible()
    expect(page.locator("svg[role='img']")).to_have_count(2)
    expect(page.get_by_test_id("balance")).to_be_visible()
    ctx.labelled(page)
    ctx.shot(page, "numbers")
    page.get_by_role("link", name="The ledger").click()
    expect(page.get_by_role("heading", name="Ledger")).to_be_visible()
    expect(page.get_by_text("story top-up")).to_be_visible()
    ctx.labelled(page)
    ctx.shot(page, "ledger")

    # Settings: a new key's secret, shown once.
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    ctx.labelled(page)
    ctx.shot(page, "settings")
    page.get_by_label("Name", exact=True).fill("story key")
    page.get_by_role("button", name="Create key").click()
    secret = page.get_by_test_id("secret")
    expect(secret).to_be_visible()
    value = secret.inner_text().strip()
    assert value.startswith("wag_"), value
    ctx.shot(page, "settings-key")
    page.goto(ctx.url + "/console/settings")
    expect(page.get_by_role("cell", name="story key", exact=True)).to_be_visible()
    expect(page.get_by_test_id("secret")).to_have_count(0)


if __name__ == "__main__":
    main(run)
