"""Inbox and sandbox phone: a virtual user writes in the sandbox phone and the agent sees it
live in the inbox (a second page), replies, and the reply's ticks reach "read" (the simulated
network's read receipt, shown live); outside the 24-hour window only templates are offered,
with a live preview; a channel-scoped key cannot open another channel's conversation."""

from harness import expect, main

LIVE = """() => [...document.querySelectorAll('[data-live]')]
             .every(e => e.__wagateLive && e.__wagateLive.readyState === 1)"""


def run(ctx):
    f = ctx.fixtures
    ch, user = f["channel"], f["user"]

    phone = ctx.page()
    ctx.sign_in(phone)
    phone.goto(f"{ctx.url}/console/phone?channel={ch}&user={user}")
    expect(phone.get_by_role("heading", name="Sandbox phone")).to_be_visible()
    phone.wait_for_function(LIVE)
    ctx.labelled(phone)

    agent = ctx.page()
    ctx.sign_in(agent)
    agent.goto(f"{ctx.url}/console/inbox?channel={ch}")
    expect(agent.get_by_role("heading", name="Inbox")).to_be_visible()
    agent.wait_for_function(LIVE)

    # The user writes; the agent's list shows it live, unread.
    phone.get_by_label("Message").fill("Hello, I need help with my order")
    phone.get_by_role("button", name="Send", exact=True).click()
    expect(phone.locator("#phone-messages")).to_contain_text("Hello, I need help")
    conversation = agent.locator(f'[data-testid="conversation"][data-wa-id="{user}"]')
    expect(conversation).to_contain_text("Hello, I need help")
    expect(conversation.get_by_test_id("unread")).to_have_text("1")

    # The agent opens it (read) and replies inside the window.
    conversation.click()
    expect(agent.locator("#thread-messages")).to_contain_text("Hello, I need help")
    expect(agent.locator(f'[data-wa-id="{user}"] [data-testid="unread"]')).to_have_count(0)
    agent.wait_for_function(LIVE)
    ctx.labelled(agent)
    agent.get_by_label("Reply").fill("Happy to help! What is the order number?")
    agent.get_by_role("button", name="Send", exact=True).click()
    reply = agent.locator('[data-testid="bubble"].out').last
    expect(reply).to_contain_text("Happy to help")
    # The phone shows it live; the network's read receipt turns the ticks blue.
    expect(phone.locator("#phone-messages")).to_contain_text("Happy to help")
    expect(reply).to_have_attribute("data-status", "read")
    expect(reply.get_by_test_id("ticks")).to_have_class("ticks read")
    ctx.shot(agent, "inbox")
    ctx.shot(phone, "phone")

    # A conversation whose window closed: no free text, only the template picker.
    agent.goto(f"{ctx.url}/console/inbox?channel={ch}&c={f['old_user']}")
    expect(agent.get_by_label("Template")).to_be_visible()
    expect(agent.get_by_label("Reply")).to_have_count(0)
    agent.get_by_label("Template").select_option(label=f"{f['template']} (en)")
    agent.get_by_label("body {{1}}").fill("Ann")
    expect(agent.get_by_test_id("template-preview")).to_contain_text("Hello Ann, your order")
    ctx.labelled(agent)
    ctx.shot(agent, "inbox-template")

    # A key limited to another channel cannot open this one's conversation.
    scoped = ctx.page()
    ctx.sign_in(scoped, key=f["scoped_key"])
    scoped.goto(f"{ctx.url}/console/inbox?channel={ch}&c={user}")
    expect(scoped.get_by_role("heading", name="Not found")).to_be_visible()
    expect(scoped.get_by_text("Hello, I need help")).to_have_count(0)


if __name__ == "__main__":
    main(run)
