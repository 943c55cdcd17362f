// Live transcript: follows a call's new turns over server-sent events.
"use strict";
(function () {
  function addTurn(list, turn) {
    var item = document.createElement("li");
    item.className = turn.role;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = turn.role === "caller" ? "Caller" : "Agent";
    item.appendChild(who);
    item.appendChild(document.createTextNode(" " + turn.text));
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
  }

  // Follow `url` into `list`; `onEnded` runs once the call is over. Returns the EventSource.
  function follow(list, url, onEnded) {
    var source = new EventSource(url);
    source.addEventListener("turn", function (event) { addTurn(list, JSON.parse(event.data)); });
    source.addEventListener("ended", function () {
      source.close();
      if (onEnded) onEnded();
    });
    return source;
  }
  window.hvacLive = { follow: follow };

  var list = document.getElementById("transcript");
  if (list && list.dataset.live) {
    follow(list, list.dataset.live, function () {
      var badge = document.getElementById("live-badge");
      if (badge) badge.textContent = "ended";
      setTimeout(function () { window.location.reload(); }, 500);  // the final outcome and booking
    });
  }
})();
