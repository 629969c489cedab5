//! Signing requests the way each provider does, for tests (this module's and the server's
//! end-to-end ones) with locally made keys. Nothing here is used to verify.

use base64::Engine;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use serde_json::Value;

/// The string SNS signs for `message` (`Key\nValue\n` for each signed field of its `Type`),
/// or `None` when a field it needs is missing.
pub fn sns_string_to_sign(message: &Value) -> Option<String> {
    super::sns::string_to_sign(message).ok()
}

/// Signs an SNS message in place with an RSA private key (PKCS#8 or PKCS#1 PEM), by its
/// `SignatureVersion` (`"1"`: SHA-1, anything else: SHA-256).
pub fn sign_sns(message: &mut Value, private_key_pem: &str) -> Result<(), String> {
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(private_key_pem)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(private_key_pem))
        .map_err(|e| format!("not an RSA private key: {e}"))?;
    let canonical = sns_string_to_sign(message).ok_or("a signed field is missing")?;
    let signature = if message["SignatureVersion"] == "1" {
        rsa::pkcs1v15::SigningKey::<sha1::Sha1>::new(key)
            .sign(canonical.as_bytes())
            .to_vec()
    } else {
        rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key)
            .sign(canonical.as_bytes())
            .to_vec()
    };
    message["Signature"] = base64::engine::general_purpose::STANDARD
        .encode(signature)
        .into();
    Ok(())
}

/// Mailgun's `signature.signature`: hex HMAC-SHA256 of `timestamp` then `token`.
pub fn mailgun_signature(signing_key: &str, timestamp: &str, token: &str) -> String {
    use hmac::Mac;
    let digest = super::mailgun::mac(signing_key, timestamp, token)
        .finalize()
        .into_bytes();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// SendGrid's signature header: base64 DER ECDSA P-256/SHA-256 over `timestamp` then `body`.
pub fn sendgrid_signature(key: &p256::ecdsa::SigningKey, timestamp: &str, body: &[u8]) -> String {
    let payload = super::sendgrid::signed_payload(timestamp, body);
    let signature: p256::ecdsa::Signature = key.sign(&payload);
    base64::engine::general_purpose::STANDARD.encode(signature.to_der().as_bytes())
}

/// The verification key SendGrid would show for `key`: base64 of its DER `PUBLIC KEY`.
pub fn sendgrid_public_key(key: &p256::ecdsa::SigningKey) -> String {
    use p256::pkcs8::EncodePublicKey;
    key.verifying_key()
        .to_public_key_der()
        .map(|der| base64::engine::general_purpose::STANDARD.encode(der.as_bytes()))
        .unwrap_or_default()
}
