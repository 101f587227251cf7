"""A fake OpenAI-compatible Chat Completions server on 127.0.0.1 for the SDK
suite: it streams canned replies in order and records every request body."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _frame(value):
    return f"data: {json.dumps(value)}\n\n".encode()


def _chunk(delta, finish=None):
    return _frame({
        "id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": "fake-gpt",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    })


def text_reply(text):
    """A streamed answer with `text` and usage."""
    return {"status": 200, "frames": [
        _chunk({"role": "assistant", "content": ""}),
        *(_chunk({"content": text[i:i + 4]}) for i in range(0, len(text), 4)),
        _chunk({}, "stop"),
        _frame({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": "fake-gpt",
                "choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": 3,
                                         "total_tokens": 14}}),
        b"data: [DONE]\n\n",
    ]}


def error_reply(status, message):
    """A non-streamed provider error."""
    return {"status": status, "body": json.dumps({"error": {"message": message}}).encode()}


class FakeOpenAI:
    def __init__(self):
        self.replies = []
        self.requests = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                with fake.lock:
                    fake.requests.append(body)
                    reply = fake.replies.pop(0) if fake.replies else error_reply(
                        500, "fake server: no reply mounted")
                self.send_response(reply["status"])
                if "frames" in reply:
                    self.send_header("content-type", "text/event-stream")
                    self.end_headers()
                    for frame in reply["frames"]:
                        self.wfile.write(frame)
                        self.wfile.flush()
                else:
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(reply["body"])))
                    self.end_headers()
                    self.wfile.write(reply["body"])

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def mount(self, reply):
        with self.lock:
            self.replies.append(reply)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
