#!/usr/bin/env python3
"""Drives Debian's headless Chromium over the DevTools protocol for crier's browser tests.

Usage: browser.py STEPS.json

STEPS.json is a list of steps run in one page, in order:
  {"open": URL, "width": 390}   navigate at a phone-sized viewport (Emulation, not the window:
                                headless Chromium never lays a window out narrower than 500 px)
  {"fill": CSS, "value": TEXT}  type into a field
  {"wait": SECONDS}             sleep
  {"click": CSS}                click an element and wait for the next page to load
  {"expect": CSS, "text": TEXT} the element's text contains TEXT
  {"no_hscroll": true}          nothing is wider than the viewport
  {"screenshot": PATH}          save a PNG of the full page

Prints one JSON object per step ({"ok": true} or {"ok": false, "error": ...}) and exits 1 at
the first failure. Needs `chromium` and the `websocket-client` package.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


class Page:
    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})

    def eval(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError("script failed: %s" % result["exceptionDetails"])
        return result["result"].get("value")

    def wait_loaded(self, before):
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                href = self.eval("document.readyState === 'complete' ? location.href : ''")
            except RuntimeError:
                href = ""
            if href and href != before:
                return
            time.sleep(0.05)
        raise RuntimeError("the next page did not load")


def start_browser(profile):
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not exe:
        raise SystemExit("no chromium found")
    proc = subprocess.Popen(
        [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-extensions", "--remote-debugging-port=0", "--user-data-dir=" + profile,
         "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.time() + 30
    while not os.path.exists(port_file):
        if time.time() > deadline or proc.poll() is not None:
            proc.kill()
            raise SystemExit("chromium did not start")
        time.sleep(0.05)
    time.sleep(0.1)
    port = open(port_file).read().split()[0]
    targets = json.load(urllib.request.urlopen("http://127.0.0.1:%s/json" % port))
    page = next(t for t in targets if t["type"] == "page")
    return proc, websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)


def run(page, step):
    if "open" in step:
        width = step.get("width", 1280)
        page.call("Emulation.setDeviceMetricsOverride", width=width, height=900,
                  deviceScaleFactor=1, mobile=width < 600)
        page.call("Page.navigate", url=step["open"])
        page.wait_loaded("about:blank-never")
    elif "fill" in step:
        page.eval("(() => { const e = document.querySelector(%s); e.focus(); e.value = %s; })()"
                  % (json.dumps(step["fill"]), json.dumps(step["value"])))
    elif "wait" in step:
        time.sleep(step["wait"])
    elif "click" in step:
        before = page.eval("location.href + '#' + performance.timeOrigin")
        page.eval("document.querySelector(%s).click()" % json.dumps(step["click"]))
        deadline = time.time() + 15
        while page.eval("location.href + '#' + performance.timeOrigin") == before:
            if time.time() > deadline:
                raise RuntimeError("clicking %s loaded no page" % step["click"])
            time.sleep(0.05)
        page.wait_loaded("")
    elif "expect" in step:
        text = page.eval("(document.querySelector(%s) || {}).innerText || ''" % json.dumps(step["expect"]))
        if step["text"] not in text:
            raise RuntimeError("%s says %r, not %r" % (step["expect"], text, step["text"]))
    elif "no_hscroll" in step:
        widths = page.eval("[document.documentElement.scrollWidth, window.innerWidth]")
        if widths[0] > widths[1]:
            raise RuntimeError("page is %d px wide in a %d px viewport" % tuple(widths))
    elif "screenshot" in step:
        shot = page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        with open(step["screenshot"], "wb") as f:
            f.write(base64.b64decode(shot["data"]))
    else:
        raise RuntimeError("unknown step %r" % step)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    steps = json.load(open(sys.argv[1]))
    profile = tempfile.mkdtemp(prefix="crier-chromium-")
    proc, ws = start_browser(profile)
    page = Page(ws)
    page.call("Page.enable")
    code = 0
    try:
        for step in steps:
            try:
                run(page, step)
                print(json.dumps({"ok": True, "step": step}), flush=True)
            except Exception as e:  # report which step failed, then stop
                print(json.dumps({"ok": False, "step": step, "error": str(e)}), flush=True)
                code = 1
                break
    finally:
        ws.close()
        proc.kill()
        proc.wait()
        shutil.rmtree(profile, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
