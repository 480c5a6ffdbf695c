"""Templates: the list, a new template whose lint error (a variable without an example) is
shown beside the field as it is typed and fixed in the form, the live preview, the create,
and the template's page following its review until the sandbox approves it."""

from harness import expect, main


def run(ctx):
    page = ctx.page()
    ctx.sign_in(page, next_path="/console/templates")
    page.goto(ctx.url + "/console/templates")
    expect(page.get_by_role("heading", name="Templates")).to_be_visible()
    ctx.labelled(page)
    ctx.shot(page, "templates-list")

    page.get_by_role("link", name="New template").click()
    expect(page.get_by_role("heading", name="New template")).to_be_visible()
    ctx.labelled(page)
    page.get_by_label("Name", exact=True).fill("shipping_note")
    page.get_by_label("Body", exact=True).fill("Hi {{1}}, your parcel is on its way.")
    # Meta's lint, run by the server as the API runs it, beside the examples or the body.
    expect(page.get_by_test_id("lint")).to_be_visible()
    error = page.locator("#err-examples:not(:empty), #err-body:not(:empty)")
    expect(error.first).to_be_visible()
    ctx.shot(page, "template-form-lint-error")

    page.get_by_label("Examples of the body's variables").fill("Pablo")
    expect(page.get_by_test_id("lint-ok")).to_be_visible()
    expect(page.get_by_test_id("preview")).to_contain_text("Hi Pablo, your parcel is on its way.")
    expect(page.locator("#err-examples")).to_be_empty()
    ctx.shot(page, "template-form-ok")

    page.get_by_role("button", name="Create and submit for review").click()
    expect(page.get_by_role("heading", name="shipping_note")).to_be_visible()
    # The page follows the review: PENDING, then APPROVED once the sandbox reviewer decides.
    expect(page.get_by_test_id("template-status")).to_have_text("APPROVED")
    expect(page.get_by_test_id("history")).to_contain_text("PENDING")
    ctx.shot(page, "template-page")

    page.goto(ctx.url + "/console/templates?status=APPROVED")
    expect(page.get_by_role("link", name="shipping_note")).to_be_visible()


if __name__ == "__main__":
    main(run)
