//! A Sportello server prepared for a PIN-login benchmark (the load comes from wrk, see
//! `scripts/bench-login`).
//!
//! `login-server DATABASE_URL CITIZENS LUA_OUT`: migrates the database, creates CITIZENS
//! citizens with active PINs (valid, distinct codici fiscali), writes a wrk Lua script that
//! logs them in round-robin through `POST /api/v1/auth/pin`, prints `ready <url>` and serves
//! until SIGTERM. Rate limits are raised out of the way (one load generator is one client
//! address); everything else (PIN check, lockout bookkeeping, session row, audit chain) is the
//! production path.

use std::fmt::Write as _;
use std::time::Duration;

use sportello::config::Layers;
use sportello::identity::accounts::{self, NewAccount, Role};
use sportello::identity::codice_fiscale::{PersonalData, Sex, encode};
use sportello::identity::pin::Pin;
use sportello::identity::pins;

#[tokio::main]
async fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let url = args
        .next()
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let citizens: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(2000);
    let lua_out = args.next().unwrap_or_else(|| "target/bench-login.lua".to_owned());

    let config = Layers::defaults()
        .flag("bind", "bench", Some("127.0.0.1:0".to_owned()))
        .flag("database_url", "bench", Some(url))
        .flag(
            "files_dir",
            "bench",
            Some(dir.path().join("files").display().to_string()),
        )
        .flag("cookie_secure", "bench", Some("false".to_owned()))
        .flag("login_limit_per_minute", "bench", Some("10000000".to_owned()))
        .flag(
            "login_limit_per_account_per_hour",
            "bench",
            Some("10000000".to_owned()),
        )
        .flag("log_level", "bench", Some("warn".to_owned()))
        .build()
        .map_err(|e| e.to_string())?;
    let server = sportello::Server::build(config)
        .await
        .map_err(|e| e.to_string())?;
    let addr = server.local_addr().map_err(|e| e.to_string())?;
    let key = server.state().pin_key.clone();
    let db = server.db().clone();

    let mut bodies = String::from("bodies = {\n");
    let start = jiff::civil::date(1940, 1, 1);
    for i in 0..citizens {
        let birth = start
            .checked_add(jiff::Span::new().days(i64::try_from(i).unwrap_or(0) % 20_000))
            .map_err(|e| e.to_string())?;
        // Distinct people: the given name cycles through letters, the date through days.
        let given = format!(
            "Nome{}",
            char::from(b'A' + u8::try_from(i / 20_000 % 26).unwrap_or(0))
        );
        let cf = encode(&PersonalData {
            surname: "Rossi".to_owned(),
            given_name: given.clone(),
            sex: if i % 2 == 0 { Sex::M } else { Sex::F },
            birth_date: birth,
            birthplace_code: "H501".to_owned(),
        })
        .map_err(|e| e.to_string())?;
        let id = accounts::create(
            &db,
            &NewAccount {
                codice_fiscale: Some(cf.as_str()),
                display_name: &format!("{given} Rossi"),
                role: Role::Cittadino,
            },
        )
        .await
        .map_err(|e| e.to_string())?;
        let pin = Pin::generate().map_err(|e| e.to_string())?;
        pins::install(
            &db,
            &key,
            &id,
            &pin,
            true,
            "ordinario",
            Duration::from_secs(86_400),
        )
        .await
        .map_err(|e| e.to_string())?;
        let _ = writeln!(
            bodies,
            "  '{{\"codice_fiscale\":\"{}\",\"pin\":\"{}\"}}',",
            cf.as_str(),
            pin.as_str()
        );
    }
    bodies.push_str("}\n");
    bodies.push_str(
        "local i = 0\n\
         request = function()\n\
           i = i + 1\n\
           return wrk.format(\"POST\", \"/api/v1/auth/pin\", {[\"Content-Type\"] = \"application/json\"}, bodies[(i % #bodies) + 1])\n\
         end\n\
         response = function(status, headers, body)\n\
           if status ~= 201 then failures = (failures or 0) + 1 end\n\
         end\n",
    );
    std::fs::write(&lua_out, bodies).map_err(|e| e.to_string())?;
    println!("ready http://{addr}");
    server.run_until_stopped().await.map_err(|e| e.to_string())
}
