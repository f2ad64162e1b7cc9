import { describe, expect, it } from 'vitest';
import { AEAD_TAG_LENGTH, keyBlockLength, RecordCipher, recordKeysFromKeyBlock } from './cipher.js';
import { CIPHER_SUITES } from './cipher-suite.js';
import { ContentType, ProtocolVersion } from './constants.js';
import { decodeRecord, encodeRecord } from './record.js';

describe('AEAD record protection', () => {
  for (const suite of CIPHER_SUITES) {
    describe(suite.name, () => {
      const cipher = new RecordCipher(
        suite,
        Buffer.alloc(suite.keyLength, 1),
        Buffer.alloc(suite.fixedIvLength, 2),
      );
      const args = [ContentType.applicationData, ProtocolVersion.dtls12, 1, 42] as const;

      it('round-trips and adds the documented overhead', () => {
        const plaintext = Buffer.from('application data');
        const fragment = cipher.encrypt(...args, plaintext);
        expect(fragment.length).toBe(plaintext.length + suite.explicitNonceLength + AEAD_TAG_LENGTH);
        expect(cipher.overhead).toBe(suite.explicitNonceLength + AEAD_TAG_LENGTH);
        expect(cipher.decrypt(...args, fragment)).toEqual(plaintext);
      });

      it('binds the additional data: type, epoch, sequence number', () => {
        const fragment = cipher.encrypt(...args, Buffer.from('x'));
        expect(
          cipher.decrypt(ContentType.handshake, ProtocolVersion.dtls12, 1, 42, fragment),
        ).toBeUndefined();
        expect(
          cipher.decrypt(ContentType.applicationData, ProtocolVersion.dtls12, 2, 42, fragment),
        ).toBeUndefined();
        expect(
          cipher.decrypt(ContentType.applicationData, ProtocolVersion.dtls12, 1, 43, fragment),
        ).toBeUndefined();
      });

      it('refuses tampered and short fragments without throwing', () => {
        const fragment = cipher.encrypt(...args, Buffer.from('payload'));
        fragment[fragment.length - 1] ^= 1;
        expect(cipher.decrypt(...args, fragment)).toBeUndefined();
        expect(cipher.decrypt(...args, Buffer.alloc(3))).toBeUndefined();
      });

      it('seals a whole record: the header and the fragment encrypt() gives', () => {
        const plaintext = Buffer.from('sealed in place');
        const record = cipher.sealRecord(...args, plaintext);
        expect(record).toEqual(encodeRecord(args[0], args[2], args[3], cipher.encrypt(...args, plaintext)));
        const decoded = decodeRecord(record);
        if (!decoded.ok) throw decoded.error;
        expect(cipher.decrypt(...args, decoded.value.record.fragment)).toEqual(plaintext);
      });

      it('splits the key block into distinct client and server keys', () => {
        const block = Buffer.from(Array.from({ length: keyBlockLength(suite) }, (_, i) => i));
        const keys = recordKeysFromKeyBlock(suite, block);
        const fragment = keys.clientWrite.encrypt(...args, Buffer.from('hi'));
        expect(keys.serverWrite.decrypt(...args, fragment)).toBeUndefined();
        expect(keys.clientWrite.decrypt(...args, fragment)?.toString()).toBe('hi');
      });
    });
  }
});
