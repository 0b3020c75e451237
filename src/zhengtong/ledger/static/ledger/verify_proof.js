/*
 * Check one ledger entry in the browser, trusting nothing the server computed:
 *
 *   1. recompute the entry's leaf hash from the fields shown on the page
 *      (the leaf encoding of zhengtong/ledger/encoding.py, hashed with
 *      SHA-256 as H(0x00 || data));
 *   2. fetch the latest signed tree head and the entry's inclusion proof
 *      against that tree size;
 *   3. recompute the root from the leaf hash and the proof (RFC 9162
 *      §2.1.3.2) and compare it with the signed head's root;
 *   4. where the browser supports Ed25519, check the head's signature.
 *
 * Messages come from data-msg-* attributes of #ledger-results, so that they
 * are translated with the page. Loaded as a file: the CSP forbids inline script.
 */
(function () {
  "use strict";

  var encoder = new TextEncoder();

  function hexToBytes(hex) {
    if (typeof hex !== "string" || hex.length % 2 !== 0 || /[^0-9a-f]/i.test(hex)) {
      throw new Error("bad hex");
    }
    var out = new Uint8Array(hex.length / 2);
    for (var i = 0; i < out.length; i++) {
      out[i] = parseInt(hex.substr(i * 2, 2), 16);
    }
    return out;
  }

  function bytesToHex(bytes) {
    var out = "";
    for (var i = 0; i < bytes.length; i++) {
      out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    }
    return out;
  }

  function concat(parts) {
    var length = 0;
    parts.forEach(function (p) { length += p.length; });
    var out = new Uint8Array(length);
    var offset = 0;
    parts.forEach(function (p) { out.set(p, offset); offset += p.length; });
    return out;
  }

  function u32(n) {
    var b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, false);
    return b;
  }

  function lengthPrefixed(bytes) {
    return concat([u32(bytes.length), bytes]);
  }

  // Leaf data, version 1: u8 version, u64 seq, i64 microseconds, then the
  // five strings and the data hash, each with a u32 length prefix.
  function leafData(d) {
    var head = new Uint8Array(17);
    var view = new DataView(head.buffer);
    view.setUint8(0, 1);
    view.setBigUint64(1, BigInt(d.seq), false);
    view.setBigInt64(9, BigInt(d.recordedAtUs), false);
    var parts = [head];
    [d.actorRef, d.actorLabel, d.action, d.subjectType, d.subjectId].forEach(function (text) {
      parts.push(lengthPrefixed(encoder.encode(text)));
    });
    parts.push(lengthPrefixed(hexToBytes(d.dataHash)));
    return concat(parts);
  }

  function sha256(bytes) {
    return crypto.subtle.digest("SHA-256", bytes).then(function (buf) {
      return new Uint8Array(buf);
    });
  }

  function leafHash(data) {
    return sha256(concat([new Uint8Array([0]), data]));
  }

  function nodeHash(left, right) {
    return sha256(concat([new Uint8Array([1]), left, right]));
  }

  // RFC 9162 §2.1.3.2, with BigInt so that sizes beyond 2**31 work.
  async function rootFromInclusionProof(index, size, leaf, proof) {
    var fn = BigInt(index);
    var sn = BigInt(size) - 1n;
    if (fn > sn) {
      return null;
    }
    var r = leaf;
    for (var i = 0; i < proof.length; i++) {
      var p = proof[i];
      if (sn === 0n) {
        return null;
      }
      if ((fn & 1n) === 1n || fn === sn) {
        r = await nodeHash(p, r);
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    return sn === 0n ? r : null;
  }

  async function signatureValid(sth) {
    try {
      var key = await crypto.subtle.importKey(
        "raw", hexToBytes(sth.public_key), { name: "Ed25519" }, false, ["verify"]
      );
      return await crypto.subtle.verify(
        { name: "Ed25519" }, key, hexToBytes(sth.signature), encoder.encode(sth.signed_message)
      );
    } catch (error) {
      return null; // This browser has no Ed25519 in WebCrypto.
    }
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      });
  }

  function show(verdict, ok, title, detail) {
    verdict.textContent = "";
    var tag = document.createElement("span");
    tag.className = "tag " + (ok === true ? "tag-ok" : ok === false ? "tag-red" : "tag-off");
    tag.textContent = title;
    verdict.appendChild(tag);
    if (detail) {
      var note = document.createElement("span");
      note.className = "ledger-verdict-detail";
      note.textContent = " " + detail;
      verdict.appendChild(note);
    }
  }

  async function check(button) {
    var box = document.getElementById("ledger-results");
    var msg = function (name) { return box ? box.getAttribute("data-msg-" + name) || "" : ""; };
    var verdict = button.parentNode.querySelector(".ledger-verdict");
    var d = button.dataset;
    show(verdict, null, msg("checking"));
    if (!window.crypto || !window.crypto.subtle) {
      show(verdict, null, msg("unable"), msg("no-crypto"));
      return;
    }
    try {
      var sth = await getJSON(box.getAttribute("data-sth-url"));
      if (sth.hash_algorithm !== "sha256") {
        show(verdict, null, msg("unable"), msg("sm3"));
        return;
      }
      if (BigInt(d.seq) >= BigInt(sth.tree_size)) {
        show(verdict, null, msg("unable"), msg("not-sealed"));
        return;
      }
      var url = d.proofUrl + "?tree_size=" + encodeURIComponent(sth.tree_size);
      var proof = await getJSON(url);
      var leaf = await leafHash(leafData(d));
      if (bytesToHex(leaf) !== d.leafHash || bytesToHex(leaf) !== proof.leaf_hash) {
        show(verdict, false, msg("fail"), msg("leaf"));
        return;
      }
      var root = await rootFromInclusionProof(
        d.seq, sth.tree_size, leaf, proof.proof.map(hexToBytes)
      );
      if (root === null || bytesToHex(root) !== sth.root_hash) {
        show(verdict, false, msg("fail"), msg("root"));
        return;
      }
      var signed = await signatureValid(sth);
      if (signed === false) {
        show(verdict, false, msg("fail"), msg("sig-bad"));
        return;
      }
      show(verdict, true, msg("pass"),
        msg("ok") + " " + (signed === true ? msg("sig-ok") : msg("sig-unsupported")));
    } catch (error) {
      show(verdict, null, msg("unable"), msg("error"));
    }
  }

  // Delegated, so that rows swapped in by htmx work too.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-ledger-verify]");
    if (button) {
      event.preventDefault();
      check(button);
    }
  });
})();
