"""End-to-end tests of posts and search through nginx, against the whole stack `deploy/dev e2e`
starts: AuthService signs the users up and sends their nicknames and bans through the jobs table,
ContentService keeps its copy of them and serves the posts, the Workers put the audit events into
audit.events. Settings as in auth_flows.py.
"""
import os
import time
import unittest
import urllib.parse

from auth_flows import call, create_admin, new_email, sql


def eventually(check, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def search(keyword):
    status, _, page = call("GET", "/api/search?keyword=" + urllib.parse.quote(keyword))
    assert status == 200, (status, page)
    return [item["id"] for item in page["items"]]


class ContentFlows(unittest.TestCase):
    def user(self, nickname):
        address = new_email()
        status, _, user = call("POST", "/api/auth/signup", {"email": address, "password": "correct horse", "nickname": nickname})
        self.assertEqual(status, 201, user)
        status, _, session = call("POST", "/api/auth/login", {"email": address, "password": "correct horse"})
        self.assertEqual(status, 200, session)
        return user, session["accessToken"]

    def test_a_post_carries_its_authors_nickname_and_a_ban_hides_it(self):
        user, token = self.user("글쓴이")
        word = "e2e" + os.urandom(4).hex()
        status, headers, post = call("POST", "/api/posts", {"title": f"검색엔진을 만들며 {word}", "body": "번역을 했다", "tags": ["E2E"]}, token=token)
        self.assertEqual(status, 201, post)
        self.assertEqual(headers["Location"], f"/api/posts/{post['id']}")
        # The nickname comes from AuthService's message, through the jobs table.
        self.assertTrue(eventually(lambda: call("GET", f"/api/posts/{post['id']}")[2].get("authorNickname") == "글쓴이"))
        self.assertIn(post["id"], search("검색"))
        self.assertIn(post["id"], search("번역"))
        self.assertEqual(search(word), [post["id"]])
        status, _, page = call("GET", f"/api/posts?authorId={user['id']}&tag=e2e")
        self.assertEqual([item["id"] for item in page["items"]], [post["id"]])

        fan, fan_token = self.user("팬")
        self.assertEqual(call("POST", f"/api/posts/{post['id']}/like", token=fan_token)[0], 204)
        self.assertEqual(call("POST", f"/api/posts/{post['id']}/like", token=fan_token)[0], 204)
        self.assertEqual(call("GET", f"/api/posts/{post['id']}")[2]["likeCount"], 1)
        # What the fan likes: marked for them on the post and the listing, listed under their likes.
        self.assertIs(call("GET", f"/api/posts/{post['id']}", token=fan_token)[2]["likedByMe"], True)
        self.assertNotIn("likedByMe", call("GET", f"/api/posts/{post['id']}")[2])
        status, _, page = call("GET", f"/api/posts?authorId={user['id']}&tag=e2e", token=fan_token)
        self.assertEqual([(item["id"], item["likedByMe"]) for item in page["items"]], [(post["id"], True)])
        status, _, likes = call("GET", "/api/users/me/likes", token=fan_token)
        self.assertEqual((status, [item["id"] for item in likes["items"]], likes["nextCursor"]), (200, [post["id"]], None))
        self.assertEqual(call("PATCH", f"/api/posts/{post['id']}", {"title": "남의 글"}, token=fan_token)[0], 403)

        admin_address = new_email()
        create_admin(admin_address)
        admin = call("POST", "/api/auth/login", {"email": admin_address, "password": "admin password"})[2]["accessToken"]
        self.assertEqual(call("POST", f"/api/admin/users/{user['id']}/ban", {"reason": "spam"}, token=admin)[0], 204)
        self.assertTrue(eventually(lambda: call("GET", f"/api/posts/{post['id']}")[0] == 404))
        # Cached pages go with the ban, so lists and search forget the post within seconds.
        self.assertTrue(eventually(lambda: search(word) == []))
        self.assertEqual(call("GET", f"/api/posts/{post['id']}", token=admin)[0], 200)
        self.assertEqual(call("POST", f"/api/admin/users/{user['id']}/unban", token=admin)[0], 204)
        self.assertTrue(eventually(lambda: search(word) == [post["id"]]))

    def test_writes_and_searches_reach_the_analysts_table(self):
        user, token = self.user("분석")
        word = "zz" + os.urandom(4).hex()
        status, _, post = call("POST", "/api/posts", {"title": word}, token=token)
        self.assertEqual(status, 201)
        self.assertEqual(call("DELETE", f"/api/posts/{post['id']}", token=token)[0], 204)
        self.assertEqual(search(word), [])
        target = str(post["id"])
        self.assertTrue(eventually(lambda: sql(
            f"SELECT string_agg(action, ',' ORDER BY action) FROM audit.events WHERE target_id = '{target}' AND target_type = 'post'")
            == "post.created,post.deleted"))
        self.assertTrue(eventually(lambda: sql(
            f"SELECT payload->>'results' FROM audit.events WHERE action = 'search.performed' AND payload->>'keyword' = '{word}'") == "0"))

    def test_bad_input_is_a_clear_client_error(self):
        _, token = self.user("검사")
        for path, status, code in [
            ("/api/search?keyword=", 422, "invalid_keyword"),
            ("/api/posts?size=1000", 422, "invalid_size"),
            ("/api/posts?cursor=forged", 400, "invalid_cursor"),
            ("/api/posts?page=100000", 422, "page_too_deep"),
        ]:
            got, _, body = call("GET", path)
            self.assertEqual((got, body["error"]["code"]), (status, code), path)
        got, _, body = call("POST", "/api/posts", {"title": ""}, token=token)
        self.assertEqual((got, body["error"]["code"]), (422, "invalid_title"))


if __name__ == "__main__":
    unittest.main()
